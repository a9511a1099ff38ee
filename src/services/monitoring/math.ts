// Metric math (GetMetricData and alarms): arithmetic + - * / ^ and comparisons on time series
// and scalars, AND/OR/NOT, SUM/AVG/MIN/MAX (of one series: a scalar; of an array: a series),
// FILL(m, value | REPEAT | LINEAR), IF(cond, a[, b]), METRICS(["filter"]), ABS/CEIL/FLOOR,
// PERIOD(m), DIFF(m), RATE(m). Series operations keep the timestamps both sides have.
import { AwsError } from '../../common/errors.js';

export type Series = Map<number, number>;
export type Value = { kind: 'scalar'; v: number } | { kind: 'series'; s: Series; period: number } | { kind: 'array'; list: Array<{ s: Series; period: number }> };

export interface MathContext {
  /** The series or expression result an id names (undefined: no such id). */
  resolve(id: string): Value | undefined;
  /** The ids of the metric queries (METRICS()). */
  metricIds: string[];
  /** The timestamps of the query grid (FILL fills these). */
  grid: number[];
  /** The query period, seconds. */
  period: number;
}

const fail = (expr: string, why: string) => new AwsError('ValidationError', `Error in expression '${expr}': ${why}`);

type Token = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'op'; v: string };

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|"([^"]*)"|(>=|<=|==|!=|&&|\|\||[-+*/^(),<>!]))/y;
  let at = 0;
  while (at < expr.length) {
    if (!expr.slice(at).trim()) break;
    re.lastIndex = at;
    const m = re.exec(expr);
    if (!m) throw fail(expr, `unexpected character '${expr[at + (expr.slice(at).length - expr.slice(at).trimStart().length)]}'`);
    at = re.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'id', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'str', v: m[3] });
    else out.push({ t: 'op', v: m[4] });
  }
  return out;
}

type Node =
  | { k: 'num'; v: number } | { k: 'str'; v: string } | { k: 'ref'; id: string }
  | { k: 'bin'; op: string; a: Node; b: Node } | { k: 'neg'; a: Node } | { k: 'not'; a: Node }
  | { k: 'call'; fn: string; args: Node[] };

const PRECEDENCE: Record<string, number> = { OR: 1, '||': 1, AND: 2, '&&': 2, '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '^': 6 };

export function parseExpression(expr: string): Node {
  const tokens = tokenize(expr);
  let i = 0;
  const peekOp = () => {
    const t = tokens[i];
    if (!t) return undefined;
    if (t.t === 'op' && t.v in PRECEDENCE) return t.v;
    if (t.t === 'id' && (t.v === 'AND' || t.v === 'OR')) return t.v;
    return undefined;
  };
  const primary = (): Node => {
    const t = tokens[i++];
    if (!t) throw fail(expr, 'unexpected end of expression');
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'op' && t.v === '(') { const n = binary(0); expect(')'); return n; }
    if (t.t === 'op' && t.v === '-') return { k: 'neg', a: binary(5) };
    if ((t.t === 'op' && t.v === '!') || (t.t === 'id' && t.v === 'NOT')) return { k: 'not', a: binary(3) };
    if (t.t === 'id') {
      if (tokens[i]?.t === 'op' && tokens[i].v === '(') {
        i++;
        const args: Node[] = [];
        if (!(tokens[i]?.t === 'op' && tokens[i].v === ')')) {
          for (;;) { args.push(binary(0)); if (tokens[i]?.t === 'op' && tokens[i].v === ',') { i++; continue; } break; }
        }
        expect(')');
        return { k: 'call', fn: t.v.toUpperCase(), args };
      }
      return { k: 'ref', id: t.v };
    }
    throw fail(expr, `unexpected '${t.v}'`);
  };
  const expect = (v: string) => {
    const t = tokens[i++];
    if (!t || t.t !== 'op' || t.v !== v) throw fail(expr, `expected '${v}'`);
  };
  // Precedence climbing; ^ is right-associative.
  const binary = (min: number): Node => {
    let left = primary();
    for (;;) {
      const op = peekOp();
      if (!op || PRECEDENCE[op] < min) break;
      i++;
      const right = binary(op === '^' ? PRECEDENCE[op] : PRECEDENCE[op] + 1);
      left = { k: 'bin', op, a: left, b: right };
    }
    return left;
  };
  const node = binary(0);
  if (i < tokens.length) throw fail(expr, `unexpected '${(tokens[i] as { v: unknown }).v}'`);
  return node;
}

function apply(op: string, x: number, y: number): number {
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '^': return x ** y;
    case '>': return x > y ? 1 : 0;
    case '<': return x < y ? 1 : 0;
    case '>=': return x >= y ? 1 : 0;
    case '<=': return x <= y ? 1 : 0;
    case '==': return x === y ? 1 : 0;
    case '!=': return x !== y ? 1 : 0;
    case 'AND': case '&&': return x !== 0 && y !== 0 ? 1 : 0;
    default: return x !== 0 || y !== 0 ? 1 : 0;
  }
}

const mapSeries = (s: Series, f: (v: number, t: number) => number | undefined): Series => {
  const out: Series = new Map();
  for (const [t, v] of s) { const r = f(v, t); if (r !== undefined && Number.isFinite(r)) out.set(t, r); }
  return out;
};

function combine(a: Value, b: Value, f: (x: number, y: number) => number, expr: string): Value {
  if (a.kind === 'array') return { kind: 'array', list: a.list.map((e) => asEntry(combine({ kind: 'series', ...e }, b, f, expr))) };
  if (b.kind === 'array') return { kind: 'array', list: b.list.map((e) => asEntry(combine(a, { kind: 'series', ...e }, f, expr))) };
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', v: f(a.v, b.v) };
  if (a.kind === 'series' && b.kind === 'scalar') return { kind: 'series', s: mapSeries(a.s, (v) => f(v, b.v)), period: a.period };
  if (a.kind === 'scalar' && b.kind === 'series') return { kind: 'series', s: mapSeries(b.s, (v) => f(a.v, v)), period: b.period };
  if (a.kind === 'series' && b.kind === 'series') return { kind: 'series', s: mapSeries(a.s, (v, t) => (b.s.has(t) ? f(v, b.s.get(t)!) : undefined)), period: a.period };
  throw fail(expr, 'incompatible operands');
}
const asEntry = (v: Value) => {
  if (v.kind !== 'series') throw new AwsError('ValidationError', 'expected a time series');
  return { s: v.s, period: v.period };
};

function reduce(v: Value, fn: string, expr: string): Value {
  const agg = (xs: number[]) => {
    if (!xs.length) return NaN;
    if (fn === 'SUM') return xs.reduce((a, b) => a + b, 0);
    if (fn === 'AVG') return xs.reduce((a, b) => a + b, 0) / xs.length;
    return fn === 'MIN' ? Math.min(...xs) : Math.max(...xs);
  };
  if (v.kind === 'scalar') return v;
  if (v.kind === 'series') return { kind: 'scalar', v: agg([...v.s.values()]) };
  const times = [...new Set(v.list.flatMap((e) => [...e.s.keys()]))].sort((a, b) => a - b);
  const out: Series = new Map();
  for (const t of times) out.set(t, agg(v.list.flatMap((e) => (e.s.has(t) ? [e.s.get(t)!] : []))));
  if (!v.list.length) throw fail(expr, `${fn} of an empty array`);
  return { kind: 'series', s: out, period: v.list[0].period };
}

function fill(v: Value, how: Value | { kind: 'word'; w: string }, ctx: MathContext, expr: string): Value {
  if (v.kind === 'array') return { kind: 'array', list: v.list.map((e) => asEntry(fill({ kind: 'series', ...e }, how, ctx, expr))) };
  if (v.kind !== 'series') return v;
  const out: Series = new Map();
  const known = [...v.s.keys()].sort((a, b) => a - b);
  for (const t of ctx.grid) {
    if (v.s.has(t)) { out.set(t, v.s.get(t)!); continue; }
    if (how.kind === 'scalar') out.set(t, how.v);
    else if (how.kind === 'series') { if (how.s.has(t)) out.set(t, how.s.get(t)!); } else if (how.kind === 'word') {
      const prev = known.filter((k) => k < t).at(-1);
      const next = known.find((k) => k > t);
      if (how.w === 'REPEAT' && prev !== undefined) out.set(t, v.s.get(prev)!);
      if (how.w === 'LINEAR' && prev !== undefined && next !== undefined) {
        const a = v.s.get(prev)!; const b = v.s.get(next)!;
        out.set(t, a + ((b - a) * (t - prev)) / (next - prev));
      }
    } else throw fail(expr, 'FILL takes a value, REPEAT or LINEAR');
  }
  return { kind: 'series', s: out, period: v.period };
}

export function evaluate(node: Node, ctx: MathContext, expr: string): Value {
  const ev = (n: Node): Value => evaluate(n, ctx, expr);
  switch (node.k) {
    case 'num': return { kind: 'scalar', v: node.v };
    case 'str': throw fail(expr, 'a string is only allowed as an argument of METRICS');
    case 'ref': {
      const v = ctx.resolve(node.id);
      if (!v) throw fail(expr, `Unrecognized id: ${node.id}`);
      return v;
    }
    case 'neg': return combine({ kind: 'scalar', v: 0 }, ev(node.a), (x, y) => x - y, expr);
    case 'not': return combine(ev(node.a), { kind: 'scalar', v: 0 }, (x) => (x === 0 ? 1 : 0), expr);
    case 'bin': return combine(ev(node.a), ev(node.b), (x, y) => apply(node.op, x, y), expr);
    case 'call': {
      const args = node.args;
      switch (node.fn) {
        case 'SUM': case 'AVG': case 'MIN': case 'MAX': case 'AVERAGE':
          if (args.length !== 1) throw fail(expr, `${node.fn} takes one argument`);
          return reduce(ev(args[0]), node.fn === 'AVERAGE' ? 'AVG' : node.fn, expr);
        case 'METRICS': {
          const filter = args[0]?.k === 'str' ? args[0].v : '';
          const list = ctx.metricIds.filter((id) => id.includes(filter)).map((id) => asEntry(ctx.resolve(id)!));
          return { kind: 'array', list };
        }
        case 'FILL': {
          if (args.length !== 2) throw fail(expr, 'FILL takes two arguments');
          const how = args[1].k === 'ref' && (args[1].id === 'REPEAT' || args[1].id === 'LINEAR') ? { kind: 'word' as const, w: args[1].id } : ev(args[1]);
          return fill(ev(args[0]), how, ctx, expr);
        }
        case 'IF': {
          if (args.length < 2 || args.length > 3) throw fail(expr, 'IF takes two or three arguments');
          const cond = ev(args[0]);
          const a = ev(args[1]);
          const b = args[2] ? ev(args[2]) : undefined;
          const at = (v: Value | undefined, t: number) => v === undefined ? undefined : v.kind === 'scalar' ? v.v : v.kind === 'series' ? v.s.get(t) : undefined;
          if (cond.kind === 'scalar') return cond.v !== 0 ? a : b ?? { kind: 'series', s: new Map(), period: ctx.period };
          if (cond.kind !== 'series') throw fail(expr, 'IF needs a time series or scalar condition');
          return { kind: 'series', s: mapSeries(cond.s, (c, t) => (c !== 0 ? at(a, t) : at(b, t))), period: cond.period };
        }
        case 'ABS': case 'CEIL': case 'FLOOR': {
          const f = node.fn === 'ABS' ? Math.abs : node.fn === 'CEIL' ? Math.ceil : Math.floor;
          return combine(ev(args[0]), { kind: 'scalar', v: 0 }, (x) => f(x), expr);
        }
        case 'PERIOD': {
          const v = ev(args[0]);
          return { kind: 'scalar', v: v.kind === 'series' ? v.period : ctx.period };
        }
        case 'DIFF': case 'RATE': {
          const v = ev(args[0]);
          if (v.kind !== 'series') throw fail(expr, `${node.fn} takes a time series`);
          const times = [...v.s.keys()].sort((a, b) => a - b);
          const out: Series = new Map();
          for (let k = 1; k < times.length; k++) {
            const d = v.s.get(times[k])! - v.s.get(times[k - 1])!;
            out.set(times[k], node.fn === 'DIFF' ? d : d / ((times[k] - times[k - 1]) / 1000));
          }
          return { kind: 'series', s: out, period: v.period };
        }
        default: throw fail(expr, `Unknown function ${node.fn}`);
      }
    }
  }
}

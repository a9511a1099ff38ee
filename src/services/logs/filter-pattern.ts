// CloudWatch Logs filter-pattern syntax (used by FilterLogEvents and metric filters):
//   terms         ERROR  "quoted phrase"  ?ERROR ?WARN (any of)  -DEBUG (none of)  %regex%
//   JSON          { $.level = "error" && ($.latency > 100 || $.user.id NOT EXISTS) }
//   space-delim.  [ip, user, ..., status = 4*, size > 1000]
// Terms match case-sensitively anywhere in the message; `*` is a wildcard inside JSON and
// space-delimited string values. A match exposes the fields a metric filter's value names
// ($.latency, $size).
import { AwsError } from '../../common/errors.js';

export interface PatternMatch {
  /** The value of `$.path` (JSON) or `$name` (space-delimited) in the matched event. */
  field(ref: string): unknown;
}
export interface FilterPattern { match(message: string): PatternMatch | undefined }

const bad = (pattern: string, why: string) => new AwsError('InvalidParameterException', `Invalid filter pattern '${pattern}': ${why}`);
const NONE: PatternMatch = { field: () => undefined };

export function compilePattern(text: string | undefined): FilterPattern {
  const pattern = (text ?? '').trim();
  if (!pattern || pattern === '""') return { match: () => NONE };
  if (pattern.startsWith('{')) return jsonPattern(pattern);
  if (pattern.startsWith('[')) return delimitedPattern(pattern);
  return termPattern(pattern);
}

// ---- terms ----
function termPattern(pattern: string): FilterPattern {
  const all: Array<(m: string) => boolean> = [];
  const any: Array<(m: string) => boolean> = [];
  const not: Array<(m: string) => boolean> = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|%([^%]+)%|(\S+))/g;
  for (let m; (m = re.exec(pattern));) {
    const [, sign, quoted, regex, bare] = m;
    let test: (s: string) => boolean;
    if (regex !== undefined) {
      let r: RegExp;
      try { r = new RegExp(regex); } catch { throw bad(pattern, `bad regular expression %${regex}%`); }
      test = (s) => r.test(s);
    } else {
      const term = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare;
      test = (s) => s.includes(term);
    }
    (sign === '?' ? any : sign === '-' ? not : all).push(test);
  }
  return {
    match: (s) => all.every((t) => t(s)) && (!any.length || any.some((t) => t(s))) && !not.some((t) => t(s)) ? NONE : undefined,
  };
}

// ---- expressions shared by JSON and space-delimited patterns ----
type Cond = (get: (ref: string) => unknown) => boolean;

function wildcard(value: string): RegExp {
  return new RegExp(`^${value.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Tokens: ( ) && || operators, quoted strings, %regex%, words. */
function tokenize(src: string, pattern: string): string[] {
  const out: string[] = [];
  const re = /\s*(\(|\)|&&|\|\||!=|<=|>=|=|<|>|"(?:[^"\\]|\\.)*"|%[^%]+%|[^\s()=!<>&|"]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < src.length && (m = re.exec(src))) { out.push(m[1]); at = re.lastIndex; }
  if (src.slice(at).trim()) throw bad(pattern, `unexpected '${src.slice(at).trim()}'`);
  return out;
}

function compare(actual: unknown, op: string, raw: string): boolean {
  if (raw.startsWith('%') && raw.endsWith('%')) {
    const r = new RegExp(raw.slice(1, -1));
    const hit = typeof actual === 'string' && r.test(actual);
    return op === '!=' ? !hit : op === '=' && hit;
  }
  const quoted = raw.startsWith('"');
  const value = quoted ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  const num = Number(value);
  if (!quoted && value !== '' && Number.isFinite(num) && !value.includes('*')) {
    const a = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (Number.isNaN(a)) return op === '!=';
    switch (op) {
      case '=': return a === num;
      case '!=': return a !== num;
      case '<': return a < num;
      case '<=': return a <= num;
      case '>': return a > num;
      case '>=': return a >= num;
    }
  }
  if (op !== '=' && op !== '!=') return false;
  if (actual === undefined || actual === null || typeof actual === 'object') return op === '!=';
  const hit = wildcard(value).test(String(actual));
  return op === '=' ? hit : !hit;
}

/** Parses `a && (b || c)` where each atom is parsed by `atom` (which consumes tokens). */
function parseExpr(tokens: string[], pattern: string, atom: (t: string[]) => Cond): Cond {
  const or = (): Cond => {
    let left = and();
    while (tokens[0] === '||') { tokens.shift(); const l = left; const r = and(); left = (g) => l(g) || r(g); }
    return left;
  };
  const and = (): Cond => {
    let left = unit();
    while (tokens[0] === '&&') { tokens.shift(); const l = left; const r = unit(); left = (g) => l(g) && r(g); }
    return left;
  };
  const unit = (): Cond => {
    if (tokens[0] === '(') {
      tokens.shift();
      const inner = or();
      if (tokens.shift() !== ')') throw bad(pattern, 'missing )');
      return inner;
    }
    return atom(tokens);
  };
  const cond = or();
  if (tokens.length) throw bad(pattern, `unexpected '${tokens[0]}'`);
  return cond;
}

// ---- JSON ----
/** The value at a `$.a.b[0]` selector. */
export function select(doc: unknown, selector: string): unknown {
  if (selector === '$') return doc;
  const parts = selector.replace(/^\$/, '').match(/\.[^.[\]]+|\[\d+\]|\[\*\]/g) ?? [];
  let cur: unknown = doc;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = p.startsWith('[') ? (cur as unknown[])[Number(p.slice(1, -1))] : (cur as Record<string, unknown>)[p.slice(1)];
  }
  return cur;
}

function jsonPattern(pattern: string): FilterPattern {
  if (!pattern.endsWith('}')) throw bad(pattern, 'a JSON pattern ends with }');
  const tokens = tokenize(pattern.slice(1, -1), pattern);
  const atom = (t: string[]): Cond => {
    const selector = t.shift();
    if (!selector?.startsWith('$')) throw bad(pattern, `expected a selector ($.field), got '${selector ?? ''}'`);
    const word = t[0]?.toUpperCase();
    if (word === 'IS') {
      t.shift();
      const what = t.shift()?.toUpperCase();
      if (what === 'NULL') return (g) => g(selector) === null;
      if (what === 'TRUE') return (g) => g(selector) === true;
      if (what === 'FALSE') return (g) => g(selector) === false;
      throw bad(pattern, `expected NULL, TRUE or FALSE after IS`);
    }
    if (word === 'NOT' && t[1]?.toUpperCase() === 'EXISTS') { t.splice(0, 2); return (g) => g(selector) === undefined; }
    if (word === 'EXISTS') { t.shift(); return (g) => g(selector) !== undefined; }
    const op = t.shift();
    const value = t.shift();
    if (!op || !['=', '!=', '<', '<=', '>', '>='].includes(op) || value === undefined) throw bad(pattern, `incomplete comparison on ${selector}`);
    return (g) => compare(g(selector), op, value);
  };
  const cond = parseExpr(tokens, pattern, atom);
  return {
    match(message) {
      let doc: unknown;
      try { doc = JSON.parse(message); } catch { return undefined; }
      if (doc === null || typeof doc !== 'object') return undefined;
      const get = (ref: string) => select(doc, ref);
      return cond(get) ? { field: get } : undefined;
    },
  };
}

// ---- space-delimited ----
/** Splits a line into fields: runs of non-spaces, "quoted strings" and [bracketed groups] count as one. */
export function splitFields(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|\[([^\]]*)\]|(\S+)/g;
  for (let m; (m = re.exec(line));) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function delimitedPattern(pattern: string): FilterPattern {
  if (!pattern.endsWith(']')) throw bad(pattern, 'a space-delimited pattern ends with ]');
  // Fields are separated by commas outside quotes.
  const fields = pattern.slice(1, -1).match(/(?:"(?:[^"\\]|\\.)*"|[^,])+/g)?.map((f) => f.trim()) ?? [];
  const specs = fields.map((f) => {
    if (f === '...') return { ellipsis: true as const };
    const name = /^[A-Za-z_][\w-]*/.exec(f)?.[0] ?? '';
    const rest = f.slice(name.length).trim();
    if (!rest) return { name };
    const cond = parseExpr(tokenize(f, pattern), pattern, (t) => {
      const ref = t.shift();
      const op = t.shift();
      const value = t.shift();
      if (!ref || !op || value === undefined) throw bad(pattern, `incomplete condition '${f}'`);
      return (g) => compare(g(ref), op, value);
    });
    return { name, cond };
  });
  const ellipses = specs.filter((s) => 'ellipsis' in s).length;
  if (ellipses > 1) throw bad(pattern, 'use ... at most once');
  return {
    match(message) {
      const values = splitFields(message);
      const named = new Map<string, string>();
      const fixed = specs.length - ellipses;
      if (ellipses ? values.length < fixed : values.length !== fixed) return undefined;
      const at = specs.findIndex((s) => 'ellipsis' in s);
      specs.forEach((s, i) => {
        if ('ellipsis' in s) return;
        const idx = at >= 0 && i > at ? values.length - (specs.length - i) : i;
        if (s.name) named.set(s.name, values[idx]);
      });
      const get = (ref: string) => named.get(ref.replace(/^\$/, ''));
      for (const s of specs) if ('cond' in s && s.cond && !s.cond(get)) return undefined;
      return { field: get };
    },
  };
}

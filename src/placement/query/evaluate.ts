// Evaluates a parsed expression against one container instance. The AST is compiled once into a
// predicate (closures), so placement can test thousands of instances without walking the tree.
//
// Semantics (Berth's reading of the developer guide, stated so it can be checked):
// - A comparison holds only if the instance HAS the subject: `attribute:stack != prod` selects
//   instances that carry "stack" with another value (the guide's own example), and likewise for
//   !in and !~. `!exists` is the way to select instances without it; `not (…)` negates anything.
// - `task:group` has one value per task on the instance: == / in / =~ hold if ANY task's group
//   matches; != / !in / !~ hold if the instance hosts tasks and NONE of their groups match;
//   exists holds if it hosts any task with a group.
// - Numbers (runningTasksCount) compare numerically, agentVersion part by part (1.9 < 1.14),
//   registeredAt by time with the argument naming its whole day or second (values.ts), and
//   attributes numerically when both sides are numbers, else as strings.
// - agentConnected reads as "true"/"false" for =~.
import type { Argument, Node, Operator, Subject, Value } from './ast.js';
import { compareVersions, parseVersion } from './values.js';

/** What an expression can ask of a container instance. */
export interface QueryTarget {
  readonly ec2InstanceId?: string;
  readonly agentConnected: boolean;
  readonly agentVersion?: string;
  /** Registration time in epoch milliseconds. */
  readonly registeredAt?: number;
  readonly runningTasksCount: number;
  /** The attribute's value; '' when it is set without a value; undefined when absent. */
  attribute(name: string): string | undefined;
  /** The task groups of the tasks on the instance (each once is enough). */
  taskGroups(): Iterable<string>;
}

export type Predicate = (target: QueryTarget) => boolean;

/** Compiles a parsed expression into a predicate over instances. */
export function compile(node: Node): Predicate {
  switch (node.kind) {
    case 'and': { const l = compile(node.left), r = compile(node.right); return (t) => l(t) && r(t); }
    case 'or': { const l = compile(node.left), r = compile(node.right); return (t) => l(t) || r(t); }
    case 'not': { const o = compile(node.operand); return (t) => !o(t); }
    case 'compare': return compileComparison(node.subject, node.op, node.arg);
  }
}

function compileComparison(subject: Subject, op: Operator, arg: Argument): Predicate {
  if (subject.name === 'task:group') return groupPredicate(op, valueTest(positive(op), arg));
  const read = reader(subject);
  if (op === 'exists') return (t) => read(t) !== undefined;
  if (op === 'not_exists') return (t) => read(t) === undefined;
  const test = valueTest(op, arg);
  return (t) => {
    const v = read(t);
    return v !== undefined && test(v);
  };
}

/** A subject's value on an instance as a string (undefined when the instance does not have it). */
function reader(subject: Subject): (t: QueryTarget) => string | undefined {
  switch (subject.name) {
    case 'attribute': { const name = subject.attribute!; return (t) => t.attribute(name); }
    case 'ec2InstanceId': return (t) => t.ec2InstanceId;
    case 'agentConnected': return (t) => String(t.agentConnected);
    case 'agentVersion': return (t) => t.agentVersion;
    case 'registeredAt': return (t) => (t.registeredAt === undefined || Number.isNaN(t.registeredAt) ? undefined : String(t.registeredAt));
    case 'runningTasksCount': return (t) => String(t.runningTasksCount ?? 0);
    case 'task:group': return () => undefined;
  }
}

/** For task:group: positive operators ask "any group", negative ones "has groups, none match". */
function groupPredicate(op: Operator, test: (v: string) => boolean): Predicate {
  if (op === 'exists' || op === 'not_exists') {
    return (t) => {
      for (const _ of t.taskGroups()) return op === 'exists';
      return op === 'not_exists';
    };
  }
  const negative = op === 'ne' || op === 'not_in' || op === 'not_matches';
  return (t) => {
    let any = false;
    for (const g of t.taskGroups()) {
      any = true;
      if (test(g)) return !negative;
    }
    return negative && any;
  };
}

/** The test one present value undergoes for the operator. */
function valueTest(op: Operator, arg: Argument): (v: string) => boolean {
  switch (op) {
    case 'matches': case 'not_matches': {
      const re = (arg as Extract<Argument, { kind: 'regex' }>).regex;
      return op === 'matches' ? (v) => re.test(v) : (v) => !re.test(v);
    }
    case 'in': case 'not_in': {
      const values = (arg as Extract<Argument, { kind: 'list' }>).values;
      return op === 'in' ? (v) => values.some((x) => equals(x, v)) : (v) => !values.some((x) => equals(x, v));
    }
    case 'eq': case 'ne': {
      const x = (arg as Extract<Argument, { kind: 'value' }>).value;
      return op === 'eq' ? (v) => equals(x, v) : (v) => !equals(x, v);
    }
    case 'gt': case 'ge': case 'lt': case 'le': {
      const x = (arg as Extract<Argument, { kind: 'value' }>).value;
      return (v) => ordered(op, x, v);
    }
    default: return () => true;
  }
}

/** For task:group the negative operators must test the positive match (see groupPredicate). */
function positive(op: Operator): Operator {
  return op === 'ne' ? 'eq' : op === 'not_in' ? 'in' : op === 'not_matches' ? 'matches' : op;
}

function equals(x: Value, v: string): boolean {
  switch (x.type) {
    case 'string': return x.glob ? x.glob.test(v) : x.value === v;
    case 'number': return Number(v) === x.value;
    case 'boolean': return v === String(x.value);
    case 'version': { const have = parseVersion(v); return have !== undefined && compareVersions(have, x.value) === 0; }
    case 'date': { const t = Number(v); return t >= x.value.start && t < x.value.end; }
  }
}

/** `instance-value op argument` for the ordering operators. */
function ordered(op: 'gt' | 'ge' | 'lt' | 'le', x: Value, v: string): boolean {
  if (x.type === 'date') {
    const t = Number(v);
    const { start, end } = x.value;
    return op === 'lt' ? t < start : op === 'le' ? t < end : op === 'gt' ? t >= end : t >= start;
  }
  let c: number;
  if (x.type === 'version') {
    const have = parseVersion(v);
    if (!have) return false;
    c = compareVersions(have, x.value);
  } else if (x.type === 'number') {
    c = Math.sign(Number(v) - x.value);
  } else {
    const s = x.type === 'string' ? x.value : String(x.value);
    const a = Number(v), b = Number(s);
    const numeric = v.trim() !== '' && s.trim() !== '' && Number.isFinite(a) && Number.isFinite(b);
    c = numeric ? Math.sign(a - b) : v < s ? -1 : v > s ? 1 : 0;
  }
  return op === 'gt' ? c > 0 : op === 'ge' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
}

// The cluster query language's syntax tree (ECS developer guide, "Cluster query language").
// `subject operator [argument]`, combined with and/or/not and parentheses. Arguments are typed
// by the parser (numbers, versions, dates, regular expressions), so evaluation never re-parses.

export type SubjectName =
  | 'agentConnected' | 'agentVersion' | 'attribute' | 'ec2InstanceId' | 'registeredAt' | 'runningTasksCount' | 'task:group';

export interface Subject {
  name: SubjectName;
  /** The attribute's name, for `attribute:<name>`. */
  attribute?: string;
  /** As written, for messages. */
  text: string;
}

export type Operator =
  | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'exists' | 'not_exists' | 'in' | 'not_in' | 'matches' | 'not_matches';

/** The symbol ECS documents for each operator (used in messages). */
export const OPERATOR_SYMBOL: Record<Operator, string> = {
  eq: '==', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=', exists: 'exists', not_exists: '!exists',
  in: 'in', not_in: '!in', matches: '=~', not_matches: '!~',
};

/** A day (2018-06-18) or a second (2018-06-18T22:28:28Z) as the half-open interval [start, end) in ms. */
export interface DateInterval { start: number; end: number }

/** One value of an argument, already converted to what the subject compares with. */
export type Value =
  | { type: 'string'; value: string; /** `*` wildcards of an attribute value, as an anchored pattern. */ glob?: RegExp }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'version'; value: number[]; text: string }
  | { type: 'date'; value: DateInterval; text: string };

export type Argument =
  | { kind: 'none' }
  | { kind: 'value'; value: Value }
  | { kind: 'list'; values: Value[] }
  | { kind: 'regex'; source: string; regex: RegExp };

export type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node; pos: number }
  | { kind: 'not'; operand: Node; pos: number }
  | { kind: 'compare'; subject: Subject; op: Operator; arg: Argument; pos: number };

/** True if the expression reads `task:group` (its truth then changes as tasks are placed). */
export function usesTaskGroup(node: Node): boolean {
  switch (node.kind) {
    case 'and': case 'or': return usesTaskGroup(node.left) || usesTaskGroup(node.right);
    case 'not': return usesTaskGroup(node.operand);
    case 'compare': return node.subject.name === 'task:group';
  }
}

// Parser of the cluster query language → AST (ast.ts). Recursive descent:
//
//   expression := or
//   or         := and (("||" | "or") and)*
//   and        := unary (("&&" | "and") unary)*
//   unary      := ("!" | "not") unary | "(" expression ")" | comparison
//   comparison := subject operator [argument]
//   argument   := value | "[" value ("," value)* "]" | regex
//
// `not` binds tighter than `and`, `and` tighter than `or`. Parentheses group expressions only
// ("a single expression can't contain parentheses"). Each subject accepts the operators the ECS
// developer guide lists for it; arguments are checked and typed here (numbers, versions, dates,
// regular expressions), so a bad expression fails when it is given, with the position and token.
import {
  OPERATOR_SYMBOL, type Argument, type Node, type Operator, type Subject, type SubjectName, type Value,
} from './ast.js';
import { invalidAt, queryError, Scanner } from './lexer.js';
import { javaRegex } from './regex.js';
import { globPattern, parseCount, parseDate, parseVersion } from './values.js';

/** ECS's limit on a placement constraint expression (and Berth's on any query). */
export const MAX_EXPRESSION_LENGTH = 2000;

const EQUALITY: Operator[] = ['eq', 'ne', 'in', 'not_in', 'matches', 'not_matches'];
const ORDERED: Operator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const ALL: Operator[] = [...ORDERED, 'exists', 'not_exists', 'in', 'not_in', 'matches', 'not_matches'];

/** The operators each subject accepts: the developer guide's lists; it lists none for attributes
 *  (all apply) or task:group (equality, lists, patterns and exists — a group has no order). */
const VALID_OPERATORS: Record<SubjectName, Operator[]> = {
  agentConnected: EQUALITY,
  ec2InstanceId: EQUALITY,
  agentVersion: ORDERED,
  registeredAt: ORDERED,
  runningTasksCount: ORDERED,
  'task:group': [...EQUALITY, 'exists', 'not_exists'],
  attribute: ALL,
};

const NAMED_SUBJECTS: SubjectName[] = ['agentConnected', 'agentVersion', 'ec2InstanceId', 'registeredAt', 'runningTasksCount', 'task:group'];
const SUBJECT_LIST = 'agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or task:group';

/** Parses a cluster query expression; throws InvalidParameterException saying where and why. */
export function parseQuery(expression: string): Node {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw queryError(`Invalid expression: it is ${expression.length} characters long; the maximum is ${MAX_EXPRESSION_LENGTH}.`);
  }
  if (expression.trim() === '') throw queryError('Invalid expression: the expression is empty.');
  const s = new Scanner(expression);
  const node = parseOr(s);
  if (!s.atEnd()) {
    if (s.src[s.pos] === ')') throw invalidAt(s.pos, "found ')' without a matching '('.");
    throw invalidAt(s.pos, `expected 'and', 'or' or the end of the expression after ${lastToken(s)}, found ${s.preview()}.`);
  }
  return node;
}

function parseOr(s: Scanner): Node {
  let left = parseAnd(s);
  for (;;) {
    const pos = (s.skipSpace(), s.pos);
    if (!s.eat('||') && !s.eatWord('or')) return left;
    left = { kind: 'or', left, right: parseAnd(s, s.src.slice(pos, s.pos)), pos };
  }
}

function parseAnd(s: Scanner, after?: string): Node {
  let left = parseUnary(s, after);
  for (;;) {
    const pos = (s.skipSpace(), s.pos);
    if (!s.eat('&&') && !s.eatWord('and')) return left;
    left = { kind: 'and', left, right: parseUnary(s, s.src.slice(pos, s.pos)), pos };
  }
}

/** `after` names the operator just read, for "expected an expression after 'and'". */
function parseUnary(s: Scanner, after?: string): Node {
  s.skipSpace();
  const pos = s.pos;
  if (s.atEnd()) throw invalidAt(pos, `expected an expression${after ? ` after '${after}'` : ''}, found the end of the expression.`);
  const notOp = s.src.startsWith('!', pos) && !/^!(=|~|in\b|exists\b)/.test(s.src.slice(pos)) ? '!' : s.eatWord('not') ? 'not' : undefined;
  if (notOp === '!') s.eat('!');
  if (notOp) return { kind: 'not', operand: parseUnary(s, notOp), pos };
  if (s.eat('(')) {
    const inner = parseOr(s);
    if (!s.eat(')')) throw invalidAt(s.pos, `expected ')' to close the '(' at position ${pos}, found ${s.preview()}.`);
    return inner;
  }
  return parseComparison(s, after);
}

function parseComparison(s: Scanner, after?: string): Node {
  const pos = s.pos;
  const text = s.readSubject();
  if (!text) {
    throw invalidAt(pos, `expected a subject (${SUBJECT_LIST})${after ? ` after '${after}'` : ''}, found ${s.preview()}.`);
  }
  const subject = subjectOf(text, pos);
  const opPos = (s.skipSpace(), s.pos);
  const read = s.readOperator();
  if (!read) {
    const hint = s.src.startsWith('=', opPos) ? " ('=' is not an operator: use '==' or equals)" : '';
    throw invalidAt(opPos, `expected an operator after '${text}', found ${s.preview()}${hint}.`);
  }
  const { op } = read;
  if (!VALID_OPERATORS[subject.name].includes(op)) {
    const valid = VALID_OPERATORS[subject.name].map((o) => OPERATOR_SYMBOL[o]).join(', ');
    throw invalidAt(opPos, `the operator '${read.text}' cannot be used with ${subject.name === 'attribute' ? 'attributes' : subject.name}; valid operators: ${valid}.`);
  }
  return { kind: 'compare', subject, op, arg: parseArgument(s, subject, op, read.text), pos };
}

function subjectOf(text: string, pos: number): Subject {
  if (text.startsWith('attribute:')) {
    const attribute = text.slice('attribute:'.length);
    if (!attribute) throw invalidAt(pos, "'attribute:' needs an attribute name, as in attribute:ecs.instance-type.");
    if (attribute.length > 128) throw invalidAt(pos, `the attribute name '${attribute.slice(0, 40)}…' is longer than 128 characters.`);
    return { name: 'attribute', attribute, text };
  }
  const name = NAMED_SUBJECTS.find((n) => n === text);
  if (!name) throw invalidAt(pos, `unknown subject '${text}'; expected ${SUBJECT_LIST}.`);
  return { name, text };
}

function parseArgument(s: Scanner, subject: Subject, op: Operator, opText: string): Argument {
  if (op === 'exists' || op === 'not_exists') return { kind: 'none' };
  if (op === 'matches' || op === 'not_matches') {
    const re = s.readRegex();
    if (!re) throw invalidAt(s.pos, `expected a regular expression after '${opText}', found ${s.preview()}.`);
    return { kind: 'regex', source: re.text, regex: javaRegex(re.text, re.pos) };
  }
  if (op === 'in' || op === 'not_in') {
    const open = (s.skipSpace(), s.pos);
    if (!s.eat('[')) throw invalidAt(open, `'${opText}' expects a list such as [a, b], found ${s.preview()}.`);
    const values: Value[] = [];
    for (;;) {
      const v = s.readValue();
      if (!v) throw invalidAt(s.pos, `expected a value in the list opened at position ${open}, found ${s.preview()}.`);
      values.push(typedValue(subject, op, v));
      if (s.eat(']')) return { kind: 'list', values };
      if (!s.eat(',')) throw invalidAt(s.pos, `expected ',' or ']' in the list opened at position ${open}, found ${s.preview()}.`);
    }
  }
  const v = s.readValue();
  if (!v) throw invalidAt(s.pos, `expected a value after '${opText}', found ${s.preview()}.`);
  return { kind: 'value', value: typedValue(subject, op, v) };
}

function typedValue(subject: Subject, op: Operator, v: { text: string; quoted: boolean; pos: number }): Value {
  const { text, pos } = v;
  switch (subject.name) {
    case 'runningTasksCount': {
      const n = parseCount(text);
      if (n === undefined) throw invalidAt(pos, `runningTasksCount compares with a whole number, found '${text}'.`);
      return { type: 'number', value: n };
    }
    case 'agentVersion': {
      const version = parseVersion(text);
      if (!version) throw invalidAt(pos, `agentVersion compares with a version such as 1.14.5, found '${text}'.`);
      return { type: 'version', value: version, text };
    }
    case 'registeredAt': {
      const date = parseDate(text);
      if (!date) {
        throw invalidAt(pos, `registeredAt compares with a date (2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, `
          + `2018-06-18T22:28:28 or 2018-06-18), found '${text}'.`);
      }
      return { type: 'date', value: date, text };
    }
    case 'agentConnected':
      if (text !== 'true' && text !== 'false') throw invalidAt(pos, `agentConnected is true or false, found '${text}'.`);
      return { type: 'boolean', value: text === 'true' };
    case 'attribute':
      // No attribute value can hold '*' (ECS's value characters), so in == != in !in it can only be a wildcard.
      return text.includes('*') && op !== 'gt' && op !== 'ge' && op !== 'lt' && op !== 'le'
        ? { type: 'string', value: text, glob: globPattern(text) } : { type: 'string', value: text };
    default:
      return { type: 'string', value: text };
  }
}

/** The token before the scanner's position, quoted, for "after 'x'" in messages. */
function lastToken(s: Scanner): string {
  let end = s.pos;
  while (end > 0 && /\s/.test(s.src[end - 1])) end--;
  let start = end;
  while (start > 0 && !/\s/.test(s.src[start - 1])) start--;
  return `'${s.src.slice(start, end)}'`;
}

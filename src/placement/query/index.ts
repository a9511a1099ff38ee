// The cluster query language: parse once, test many instances. Used by memberOf placement
// constraints and by ListContainerInstances' `filter`.
//
//   const q = compileQuery('attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d');
//   q.test(target)   // target: QueryTarget (see evaluate.ts; from-records.ts builds one from a record)
import { usesTaskGroup, type Node } from './ast.js';
import { compile, type Predicate, type QueryTarget } from './evaluate.js';
import { parseQuery } from './parser.js';

export interface CompiledQuery {
  readonly expression: string;
  readonly ast: Node;
  readonly test: Predicate;
  /** True if the answer depends on the tasks on the instance (task:group), so it can change as
   *  tasks are placed; every other subject is fixed for the duration of one placement. */
  readonly dependsOnTasks: boolean;
}

/** Parses and compiles; throws InvalidParameterException (position and token) on a bad expression. */
export function compileQuery(expression: string): CompiledQuery {
  const ast = parseQuery(expression);
  return { expression, ast, test: compile(ast), dependsOnTasks: usesTaskGroup(ast) };
}

export type { Node, QueryTarget, Predicate };
export { parseQuery, MAX_EXPRESSION_LENGTH } from './parser.js';
export { compile } from './evaluate.js';

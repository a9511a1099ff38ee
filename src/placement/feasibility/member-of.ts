// memberOf: the instance must satisfy every memberOf expression (request's and task definition's).
// Expressions without task:group are fixed for the whole placement; with it they can turn true
// (affinity) or false (anti-affinity) as tasks are placed, so they are not monotone.
import { REASON } from '../reasons.js';
import type { FeasibilityStage } from './stage.js';

export const memberOfStage: FeasibilityStage = {
  name: 'memberOf',
  dynamic: (request) => request.memberOf.some((m) => m.query.dependsOnTasks),
  monotone: false,
  check(inst, state) {
    for (const m of state.request.memberOf) {
      if (!m.query.test(inst)) return { stage: 'memberOf', reason: REASON.MEMBER_OF, detail: `the instance does not satisfy '${m.query.expression}'` };
    }
    return undefined;
  },
};

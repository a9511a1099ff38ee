// distinctInstance: "each task in the group on a different instance" — an instance that already
// hosts a task of the group (placed before, or earlier in this request) is out.
import { REASON } from '../reasons.js';
import type { FeasibilityStage } from './stage.js';

export const distinctInstanceStage: FeasibilityStage = {
  name: 'distinctInstance',
  dynamic: (request) => request.distinctInstance,
  monotone: true,
  check(inst, state) {
    if (!state.request.distinctInstance) return undefined;
    const n = state.groupCount(inst);
    return n > 0
      ? { stage: 'distinctInstance', reason: REASON.DISTINCT_INSTANCE, detail: `the instance already hosts ${n} task(s) of group ${state.request.group}` }
      : undefined;
  },
};

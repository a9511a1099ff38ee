// The task definition's requiresAttributes (e.g. com.amazonaws.ecs.capability.docker-remote-api.1.19,
// ecs.capability.task-eni): an instance without one of them fails with ECS's ATTRIBUTE reason.
import { REASON } from '../reasons.js';
import type { FeasibilityStage } from './stage.js';

export const attributesStage: FeasibilityStage = {
  name: 'attributes',
  dynamic: () => false,
  monotone: true,
  check(inst, state) {
    for (const required of state.request.requiredAttributes) {
      const have = inst.attrs.get(required.name);
      if (have === undefined) {
        return { stage: 'attributes', reason: REASON.ATTRIBUTE, detail: `the instance lacks the attribute ${required.name}` };
      }
      if (required.value !== undefined && required.value !== have) {
        return {
          stage: 'attributes', reason: REASON.ATTRIBUTE,
          detail: `the attribute ${required.name} is '${have}', the task definition requires '${required.value}'`,
        };
      }
    }
    return undefined;
  },
};

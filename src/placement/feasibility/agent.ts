// Only ACTIVE instances whose agent is connected take tasks. A disconnected agent is ECS's AGENT
// failure ("to prevent extended wait times for task placement, the request was rejected").
import { REASON } from '../reasons.js';
import type { FeasibilityStage } from './stage.js';

export const agentStage: FeasibilityStage = {
  name: 'agent',
  dynamic: () => false,
  monotone: true,
  check(inst) {
    if (inst.status !== 'ACTIVE') {
      return {
        stage: 'agent', reason: inst.status === 'INACTIVE' ? REASON.INACTIVE : REASON.DRAINING,
        detail: `the instance is ${inst.status}; only ACTIVE instances take new tasks`,
      };
    }
    if (!inst.agentConnected) return { stage: 'agent', reason: REASON.AGENT, detail: 'the container agent is disconnected' };
    return undefined;
  },
};

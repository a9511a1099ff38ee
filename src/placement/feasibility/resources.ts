// CPU units and MiB of memory: the task's needs must fit in what the instance has left.
import { REASON } from '../reasons.js';
import type { FeasibilityStage } from './stage.js';

export const resourcesStage: FeasibilityStage = {
  name: 'resources',
  dynamic: () => true,
  monotone: true,
  check(inst, state) {
    const { cpu, memory } = state.request.needs;
    if (cpu > inst.cpu) return { stage: 'resources', reason: REASON.CPU, detail: `needs ${cpu} CPU units, ${inst.cpu} left` };
    if (memory > inst.memory) return { stage: 'resources', reason: REASON.MEMORY, detail: `needs ${memory} MiB, ${inst.memory} MiB left` };
    return undefined;
  },
};

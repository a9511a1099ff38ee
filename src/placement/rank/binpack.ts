// binpack: place on the instance with the LEAST remaining cpu or memory, so fewer instances are
// in use (developer guide: "the least available amount of CPU or memory").
import type { Tier } from '../request.js';
import type { RankStage } from './stage.js';

export function binpackStage(tier: Extract<Tier, { kind: 'binpack' }>): RankStage {
  return tier.resource === 'cpu'
    ? { tier, value: (inst) => inst.cpu }
    : { tier, value: (inst) => inst.memory };
}

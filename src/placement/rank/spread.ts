// spread: place where the group has the fewest tasks. On instanceId/host the count is the
// instance's own; on attribute:<name> it is the count over every instance sharing its value
// (all of us-east-1a, say). An instance without the attribute ranks after all that have it.
import type { Tier } from '../request.js';
import type { RankStage } from './stage.js';

export function spreadStage(tier: Extract<Tier, { kind: 'spread-attribute' | 'spread-instance' }>): RankStage {
  if (tier.kind === 'spread-instance') return { tier, value: (inst, state) => state.groupCount(inst) };
  const { attribute } = tier;
  return { tier, value: (inst, state) => state.spreadCount(attribute, inst) };
}

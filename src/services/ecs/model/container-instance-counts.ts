// Registers the container-instance count source with counts.ts when this module is loaded:
// DescribeClusters' registeredContainerInstancesCount (and DeleteCluster's refusal) count the
// cluster's ACTIVE and DRAINING instances. container-instances.ts imports this module, and
// provider.ts imports container-instances.ts alongside clusters.ts, so the source is in place
// before any handler runs. Code that calls clusterCounts outside the provider (a controller)
// should import this module too; importing it twice registers once (ES modules load once).
import { db } from './common.js';
import { registerCountSource } from './counts.js';

const REGISTERED = new Set(['ACTIVE', 'DRAINING']);

registerCountSource(async (ctx, cluster) => {
  const instances = await db(ctx).containerInstances.list(ctx, `${cluster}/`);
  return { registeredContainerInstancesCount: instances.filter((i) => REGISTERED.has(i.status ?? '')).length };
});

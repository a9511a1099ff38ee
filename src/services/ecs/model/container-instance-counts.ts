// Registers the container-instance count source with counts.ts when this module is loaded:
// DescribeClusters' registeredContainerInstancesCount (and DeleteCluster's refusal) count the
// cluster's ACTIVE and DRAINING instances, from the counter cluster-counters.ts keeps with the
// records (one key read). container-instances.ts imports this module, and provider.ts imports
// container-instances.ts alongside clusters.ts, so the source is in place before any handler runs.
// Code that calls clusterCounts outside the provider (a controller) should import this module too;
// importing it twice registers once (ES modules load once).
import { readCounter } from './cluster-counters.js';
import { registerCountSource } from './counts.js';

registerCountSource(async (ctx, cluster) => ({ registeredContainerInstancesCount: await readCounter(ctx.app.store, ctx, cluster, 'instances') }));

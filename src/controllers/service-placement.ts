// Where a service's next task goes: the placement engine (src/placement) over the launcher's
// snapshot, with the service's constraints (and its task definition's), its strategies — ECS's
// default when it has none: spread across Availability Zones, then across instances — and its
// group, `service:<name>`, so spread counts the service's own tasks. Returns the `pick` the
// launcher (task-run.ts launchTasks) calls; tasks placed by earlier picks of the same pass count.
import type { Failure, PlacementStrategy, Task } from '@aws-sdk/client-ecs';
import type { Ids } from '../common/ids.js';
import { instanceFromRecord, place } from '../placement/index.js';
import type { TaskRecord } from '../services/ecs/common.js';
import type { ServiceRecord } from '../services/ecs/service-model.js';
import { serviceGroup } from '../services/ecs/service-model.js';
import { isCounted, type ServiceTaskRecord } from '../services/ecs/service-tasks.js';
import type { TaskDefinitionRecord } from '../services/ecs/task-definition-lookup.js';
import type { Choice, Snapshot } from '../services/ecs/task-launch.js';
import type { TaskNeeds } from '../services/ecs/task-resources.js';

/** ECS's default for REPLICA services: balance across Availability Zones, then across instances. */
export const REPLICA_DEFAULT_STRATEGY: PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' },
];

export type PickFn = (snapshot: Snapshot, needs: TaskNeeds) => Choice;

export class ServicePlacer {
  /** Tasks holding a place on each instance (by ARN): the cluster's, plus those placed since. */
  private readonly byInstance = new Map<string, Pick<Task, 'group' | 'taskArn'>[]>();

  constructor(tasks: ServiceTaskRecord[], private readonly ids: Ids) {
    for (const t of tasks) if (isCounted(t)) this.add(t);
  }

  add(task: TaskRecord) {
    if (!task.containerInstanceArn) return;
    const list = this.byInstance.get(task.containerInstanceArn) ?? [];
    list.push({ group: task.group, taskArn: task.taskArn });
    this.byInstance.set(task.containerInstanceArn, list);
  }

  pick(service: ServiceRecord, def: TaskDefinitionRecord): PickFn {
    return (snapshot, needs) => {
      const instances = snapshot.candidates.map((c) => instanceFromRecord(c.record, {
        agentConnected: c.connected, tasks: this.byInstance.get(c.arn) ?? [],
      }));
      const result = place({ instances }, {
        count: 1,
        needs,
        group: serviceGroup(service.serviceName),
        constraints: service.placementConstraints,
        definitionConstraints: def.placementConstraints,
        strategies: service.placementStrategy.length ? service.placementStrategy : REPLICA_DEFAULT_STRATEGY,
        requiredAttributes: def.requiresAttributes,
      }, this.ids);
      const chosen = result.placements[0];
      if (chosen) return { candidate: snapshot.candidates[chosen.instance] };
      return { failures: result.failures.length ? result.failures : noInstances(snapshot) };
    };
  }
}

const noInstances = (snapshot: Snapshot): Failure[] => (snapshot.candidates.length ? [] : [{ reason: 'NO_INSTANCES' }]);

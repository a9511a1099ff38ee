// The lost-agent policy (Berth's own; ECS itself never reschedules a disconnected instance's
// tasks). Stated so it can be checked:
//
// 1. An instance is LOST when its agent has not been heard from (lastHeartbeatAt, refreshed by
//    every frame and pong on its ACS websocket) for longer than its deadline. Which deadline
//    depends on the instance's capability (cluster-view.ts, instanceView):
//    - a Berth agent registers SELF_FENCE_CAPABILITY; the server tells it `lostAfterSeconds` when
//      it connects, and an agent that has heard nothing for that long stops its REPLICA service
//      tasks itself (self-fencing, src/agent/task-engine.ts fence()). Its instance is LOST after
//      lostAfterSeconds + `fenceMarginSeconds` (`--fence-margin`, default 5 s): by then its copies
//      have stopped, so at most the desired count runs during a partition.
//    - an agent that cannot fence itself (the Amazon ECS agent) keeps its tasks while merely
//      disconnected, as on ECS: its instance is never LOST, unless its cluster carries the tag
//      `berth:supersede-disconnected=true`; then after lostAfterSeconds (its copies may still run
//      until it returns: the operator chose availability over an exact count).
//    `berth server --lost-after 5m`; default 300 s; 0 turns the policy off. Until then a silent
//    agent's tasks keep counting: a short network blip moves nothing.
// 2. Each REPLICA service task on a lost instance that is not STOPPED yet is SUPERSEDED, once:
//    its desiredStatus becomes STOPPED (stopCode ServiceSchedulerInitiated, stoppedReason
//    LOST_REASON), its generation is bumped, and `supersededAt` is set. From then on it counts for
//    nothing (not running, not pending, not toward maximumPercent), so the scheduler starts a
//    replacement on a connected instance right away, as for any missing task.
// 3. When the agent returns it receives, in the normal desired-state payload (the task manifest
//    of its ACS connection), desiredStatus STOPPED for the superseded copies; it stops them and
//    reports STOPPED. Exactly one copy survives: the replacement. The superseded task never comes
//    back, even if its agent returns before the replacement is running.
// 4. DAEMON tasks are not superseded: a daemon task belongs to its instance, there is nowhere
//    else to run it. A lost instance simply stops counting toward the daemon's desired count.
import type { ServiceRecord } from '../model/service-model.js';
import { isCounted, type ServiceTaskRecord } from '../model/service-tasks.js';
import { taskId } from '../model/task-model.js';
import { instanceOf, type ClusterView } from './cluster-view.js';

export const lostReason = (seconds: number) =>
  `Task superseded: the agent of its container instance was disconnected for more than ${seconds} seconds; a replacement runs elsewhere`;

/** Ids of the service's tasks to supersede now (REPLICA services only). */
export function lostTasks(service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView): string[] {
  if (service.schedulingStrategy !== 'REPLICA') return [];
  return tasks.filter((t) => isCounted(t) && instanceOf(view, t)?.lost === true).map(taskId);
}


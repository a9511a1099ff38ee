// The ECS API calls only agents make: DiscoverPollEndpoint (where the ACS and TCS websockets are), and the
// state reports SubmitTaskStateChange / SubmitContainerStateChange / SubmitAttachmentStateChanges.
// Reports move tasks forward only (task-state.ts); a duplicate or stale one is acknowledged and
// changes nothing.
import type {
  DiscoverPollEndpointRequest, DiscoverPollEndpointResponse, SubmitAttachmentStateChangesRequest,
  SubmitAttachmentStateChangesResponse, SubmitContainerStateChangeRequest, SubmitContainerStateChangeResponse,
  SubmitTaskStateChangeRequest, SubmitTaskStateChangeResponse,
} from '@aws-sdk/client-ecs';
import type { RequestContext } from '../../context.js';
import { TCS_PREFIX } from '../../../protocol/tcs.js';
import { parseArn } from '../../../common/arn.js';
import { advertisedUrl } from '../../../common/advertise.js';
import { clusterNotFound, db, invalidParameter, ownClusterName, type TaskRecord } from '../model/common.js';
import { isTaskStatus, parseTaskRef } from '../model/task-model.js';
import { applyTaskReport, type TaskReport } from '../model/task-state.js';
import { modifyTaskGrouped } from '../model/task-store.js';

const ACK = 'ACK';

export async function discoverPollEndpoint(input: DiscoverPollEndpointRequest, ctx: RequestContext): Promise<DiscoverPollEndpointResponse> {
  if (input.cluster !== undefined) await ownCluster(ctx, input.cluster);
  const endpoint = advertisedUrl(ctx.app.config, ctx.origin);
  // The agents append /ws to each: ACS at <endpoint>/ws, TCS at <endpoint>/tcs/ws.
  return { endpoint, telemetryEndpoint: `${endpoint}${TCS_PREFIX}`, serviceConnectEndpoint: endpoint };
}

export async function submitTaskStateChange(input: SubmitTaskStateChangeRequest, ctx: RequestContext): Promise<SubmitTaskStateChangeResponse> {
  if (input.status !== undefined && !isTaskStatus(input.status)) {
    throw invalidParameter(`Invalid task status '${input.status}'. Valid values: PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED.`);
  }
  for (const c of input.containers ?? []) checkContainerStatus(c.status, c.containerName);
  await report(ctx, input.cluster, input.task, {
    status: input.status, reason: input.reason, containers: input.containers,
    pullStartedAt: input.pullStartedAt, pullStoppedAt: input.pullStoppedAt, executionStoppedAt: input.executionStoppedAt,
  });
  return { acknowledgment: ACK };
}

export async function submitContainerStateChange(input: SubmitContainerStateChangeRequest, ctx: RequestContext): Promise<SubmitContainerStateChangeResponse> {
  if (!input.containerName) throw invalidParameter('containerName is required.');
  checkContainerStatus(input.status, input.containerName);
  await report(ctx, input.cluster, input.task, {
    containers: [{
      containerName: input.containerName, status: input.status, exitCode: input.exitCode, reason: input.reason,
      networkBindings: input.networkBindings, runtimeId: input.runtimeId,
    }],
  });
  return { acknowledgment: ACK };
}

/** Attachments (ENIs) do not exist on this platform: accepted and acknowledged. */
export async function submitAttachmentStateChanges(input: SubmitAttachmentStateChangesRequest, ctx: RequestContext): Promise<SubmitAttachmentStateChangesResponse> {
  await ownCluster(ctx, input.cluster);
  return { acknowledgment: ACK };
}

function checkContainerStatus(status: string | undefined, name: string | undefined) {
  if (status !== undefined && !['PENDING', 'RUNNING', 'STOPPED'].includes(status)) {
    throw invalidParameter(`Invalid status '${status}' for container ${name ?? '(unnamed)'}. Valid values: PENDING, RUNNING, STOPPED.`);
  }
}

async function report(ctx: RequestContext, clusterRef: string | undefined, taskRef: string | undefined, change: TaskReport) {
  if (!taskRef) throw invalidParameter('task is required.');
  const name = await ownCluster(ctx, clusterRef);
  const ref = parseTaskRef(taskRef);
  const now = new Date(ctx.app.clock.now());
  const elsewhere = (ref.cluster && ref.cluster !== name) || foreignArn(ctx, taskRef);
  let before: string | undefined;
  const result = elsewhere ? undefined : await modifyTaskGrouped(ctx, name, ref.id, (task) => { before = task.lastStatus; return applyTaskReport(task, change, now); });
  if (!result) throw invalidParameter('The referenced task was not found.');
  if (result.changed && result.task.lastStatus !== before) logTaskState(ctx, name, ref.id, result.task);
}

/** One activity log line per task state change; a failed pull is its own event. */
function logTaskState(ctx: RequestContext, cluster: string, id: string, task: TaskRecord) {
  const status = task.lastStatus ?? '?';
  const fields = { account: ctx.account, cluster, task: id, group: task.group, status,
    stopCode: task.stopCode, reason: status === 'STOPPED' ? task.stoppedReason : undefined };
  if (status === 'STOPPED' && /CannotPullContainer/i.test(task.stoppedReason ?? '')) ctx.app.log.warn('task.pull-failed', fields);
  else if (status === 'STOPPED' && task.stopCode === 'TaskFailedToStart') ctx.app.log.warn('task.failed-to-start', fields);
  else ctx.app.log.info(`task.${status.toLowerCase()}`, fields);
}

/** The name of the cluster an agent names (any status), or ClusterNotFoundException; another
 *  account's or region's cluster ARN names none. */
async function ownCluster(ctx: RequestContext, ref: string | undefined): Promise<string> {
  const name = ownClusterName(ctx, ref);
  if (name === undefined || !(await db(ctx).clusters.get(ctx, name))) throw clusterNotFound();
  return name;
}

/** An ARN of another account or region (its resource is never the caller's). */
const foreignArn = (ctx: RequestContext, ref: string) => {
  const arn = ref.startsWith('arn:') ? parseArn(ref) : undefined;
  return arn !== undefined && (arn.account !== ctx.account || arn.region !== ctx.region);
};

// ECS's side of the ELBv2 integration, run by the service scheduler on every pass over a service
// with `loadBalancers` (level-triggered: it compares the target group's registrations with the
// service's tasks). Everything goes through the internal client as the scheduler's principal:
// ECS never imports the ELBv2 service.
//
// - A RUNNING task's container port is registered with its host port (bridge/host: the container
//   instance's EC2 id, plus its address, which Berth passes along until it has EC2; awsvpc: ip).
// - A task asked to stop, stopped or superseded is deregistered (the target drains for the target
//   group's deregistration delay); the scheduler also deregisters a task just before stopping it.
// - A task counts as healthy for deployments only when all of its targets are `healthy`.
// - A target `unhealthy` after healthCheckGracePeriodSeconds gets its task stopped and replaced.
// Events use ECS's wording: "(service web) registered 3 targets in (target-group arn:…)".
import type { LoadBalancer } from '@aws-sdk/client-ecs';
import type { DescribeTargetHealthOutput, TargetDescription, TargetHealth } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../../common/errors.js';
import { accountRoot, type RequestContext } from '../../context.js';
import { requestStop } from '../launch/task-run.js';
import { said, taskList, type ServiceRecord } from '../model/service-model.js';
import { isLive, SCHEDULER_STOP_CODE, type ServiceTaskRecord } from '../model/service-tasks.js';
import { instanceIdOf, taskId } from '../model/task-model.js';
import { instanceOf, type ClusterView } from './cluster-view.js';

const ELB = 'elasticloadbalancing';

interface Target extends TargetDescription { Id: string; Port: number; BerthAddress?: string }

export interface LoadBalancerPass {
  /** All of the task's targets are healthy. */
  healthy(t: ServiceTaskRecord): boolean;
  /** Deregisters the targets of tasks about to be stopped (before the stop is requested). */
  beforeStops(taskIds: string[]): Promise<void>;
  events: string[];
}

/** The target a task's container port is, when the task has that binding. */
function targetOf(t: ServiceTaskRecord, lb: LoadBalancer, view: ClusterView): Target | undefined {
  const binding = t.containers?.find((c) => c.name === lb.containerName)?.networkBindings?.find((b) => b.containerPort === lb.containerPort);
  if (!binding?.hostPort) return undefined;
  const address = binding.bindIP && binding.bindIP !== '0.0.0.0' ? binding.bindIP : '127.0.0.1';
  const mode = view.definitions.get(t.taskDefinitionArn ?? '')?.networkMode;
  if (mode === 'awsvpc') return { Id: address, Port: binding.hostPort };
  const ec2 = instanceOf(view, t)?.record.ec2InstanceId;
  return ec2 ? { Id: ec2, Port: binding.hostPort, BerthAddress: address } : undefined;
}

const keyOf = (tg: string, t: { Id?: string; Port?: number }) => `${tg} ${t.Id}:${t.Port}`;

export async function syncLoadBalancers(ctx: RequestContext, service: ServiceRecord, tasks: ServiceTaskRecord[], view: ClusterView): Promise<LoadBalancerPass | undefined> {
  const lbs = (service.loadBalancers ?? []).filter((lb) => lb.targetGroupArn && lb.containerName && lb.containerPort);
  if (!lbs.length) return undefined;
  // ECS acts with its service-linked role on the account's behalf: the account root for the internal client.
  const caller = accountRoot(ctx);
  const call = <O>(op: string, input: object) => ctx.app.call<O>(ELB, op, input, caller);
  const health = new Map<string, TargetHealth>();
  const events: string[] = [];
  const stopped = new Set<string>();

  const deregister = async (tg: string, targets: Target[]) => {
    const fresh = targets.filter((t) => { const h = health.get(keyOf(tg, t)); return h && h.State !== 'draining'; });
    if (!fresh.length) return;
    await call('DeregisterTargets', { TargetGroupArn: tg, Targets: fresh.map(({ Id, Port }) => ({ Id, Port })) });
    for (const t of fresh) health.set(keyOf(tg, t), { State: 'draining' });
    events.push(`${said(service)} deregistered ${fresh.length} targets in (target-group ${tg})`);
  };

  for (const lb of lbs) {
    const tg = lb.targetGroupArn!;
    let described: DescribeTargetHealthOutput;
    try {
      described = await call<DescribeTargetHealthOutput>('DescribeTargetHealth', { TargetGroupArn: tg });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      continue; // the target group is gone or ELBv2 is not there: nothing to register with
    }
    for (const d of described.TargetHealthDescriptions ?? []) health.set(keyOf(tg, d.Target!), d.TargetHealth!);
    const register: Target[] = [];
    const leave: Target[] = [];
    for (const t of tasks) {
      const target = targetOf(t, lb, view);
      if (!target) continue;
      const state = health.get(keyOf(tg, target))?.State;
      if (isLive(t) && t.lastStatus === 'RUNNING') {
        if (state === undefined || state === 'draining') register.push(target);
      } else if (state !== undefined && state !== 'draining') leave.push(target);
    }
    if (register.length) {
      await call('RegisterTargets', { TargetGroupArn: tg, Targets: register });
      for (const t of register) health.set(keyOf(tg, t), { State: 'initial' });
      events.push(`${said(service)} registered ${register.length} targets in (target-group ${tg})`);
    }
    await deregister(tg, leave);

    // Targets that failed their health checks after the grace period: replace the task.
    const grace = (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
    for (const t of tasks) {
      const target = isLive(t) && t.lastStatus === 'RUNNING' ? targetOf(t, lb, view) : undefined;
      const h = target && health.get(keyOf(tg, target));
      if (!target || h?.State !== 'unhealthy' || stopped.has(taskId(t))) continue;
      if (view.now.getTime() - Date.parse(String(t.startedAt ?? 0)) < grace) continue;
      const instance = t.containerInstanceArn ? instanceIdOf(t.containerInstanceArn) : target.Id;
      events.push(`${said(service)} (instance ${instanceOf(view, t)?.record.ec2InstanceId ?? instance}) (port ${target.Port}) is unhealthy in `
        + `(target-group ${tg}) due to (reason ${h.Description ?? h.Reason}).`);
      await deregister(tg, [target]);
      const done = await requestStop(ctx, service.cluster, taskId(t), { reason: `Task failed ELB health checks in (target-group ${tg})`, stopCode: SCHEDULER_STOP_CODE });
      if (done) { stopped.add(taskId(t)); events.push(`${said(service)} has stopped 1 running tasks: ${taskList([taskId(t)])}.`); }
    }
  }

  return {
    events,
    healthy: (t) => !stopped.has(taskId(t)) && lbs.every((lb) => {
      const target = targetOf(t, lb, view);
      return target !== undefined && health.get(keyOf(lb.targetGroupArn!, target))?.State === 'healthy';
    }),
    async beforeStops(ids) {
      const going = new Set(ids);
      for (const lb of lbs) {
        const targets = tasks.filter((t) => going.has(taskId(t))).map((t) => targetOf(t, lb, view)).filter((x): x is Target => !!x);
        await deregister(lb.targetGroupArn!, targets).catch(() => {});
      }
    },
  };
}

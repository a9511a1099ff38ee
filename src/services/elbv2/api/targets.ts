// Register/Deregister targets and DescribeTargetHealth with AWS's states and reason codes. The
// health checker (data/health.ts) moves targets between initial, healthy and unhealthy; draining
// targets are removed when their deregistration delay has passed.
import type {
  DeregisterTargetsInput, DeregisterTargetsOutput, DescribeTargetHealthInput, DescribeTargetHealthOutput, RegisterTargetsInput,
  RegisterTargetsOutput, TargetDescription, TargetHealth, TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isIPv4 } from 'node:net';
import type { RequestContext } from '../../context.js';
import { invalidTarget, nowIso, storeOf, targetKey, tgIdOf, validationError, type TargetGroupRecord, type TargetRecord } from '../model.js';
import { findTg } from './target-groups.js';

/** Until Berth has EC2, an `instance` target's address comes with the registration: the internal
 *  client (ECS registering its tasks' host ports) passes it as this extra member of a target. */
export interface BerthTargetDescription extends TargetDescription { BerthAddress?: string }

export const REASONS = {
  registering: { Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
  initial: { Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' },
  notInUse: { Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' },
  notRegistered: { Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
  draining: { Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' },
  disabled: { Reason: 'Target.HealthCheckDisabled', Description: 'Health checks are disabled' },
  timeout: { Reason: 'Target.Timeout', Description: 'Request timed out' },
  failed: { Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
  mismatch: (code: number) => ({ Reason: 'Target.ResponseCodeMismatch', Description: `Health checks failed with these codes: [${code}]` }),
} as const;

function checkTarget(tg: TargetGroupRecord, t: BerthTargetDescription, ctx: RequestContext): { port: number; address?: string } {
  const port = t.Port ?? tg.Port!;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw validationError(`Port '${port}' must be between 1 and 65535`);
  if (tg.TargetType === 'ip') {
    if (!isIPv4(t.Id!)) throw invalidTarget(`The IP address '${t.Id}' is not a valid IPv4 address`);
    return { port, address: t.Id };
  }
  if (!/^i-[0-9a-f]{8,17}$/.test(t.Id!)) throw invalidTarget(`The following targets are not valid instances: '${t.Id}'`);
  const address = ctx.internal ? t.BerthAddress : undefined;
  if (address !== undefined && !isIPv4(address)) throw invalidTarget(`The address '${address}' of instance '${t.Id}' is not a valid IPv4 address`);
  if (!address) {
    throw invalidTarget(`Instance '${t.Id}' cannot be resolved to an address: Berth has no EC2 service yet, so instance targets are `
      + 'registered by ECS services (loadBalancers); register ip targets directly');
  }
  return { port, address };
}

export async function registerTargets(input: RegisterTargetsInput, ctx: RequestContext): Promise<RegisterTargetsOutput> {
  const tg = await findTg(ctx, input.TargetGroupArn!);
  const tgId = tgIdOf(tg.TargetGroupArn)!;
  const targets = (input.Targets ?? []) as BerthTargetDescription[];
  if (!targets.length) throw validationError('At least one target must be specified');
  const checked = targets.map((t) => ({ t, ...checkTarget(tg, t, ctx) }));
  const store = storeOf(ctx.app);
  for (const { t, port, address } of checked) {
    const id = `${tgId}/${targetKey(t.Id!, port)}`;
    const current = await store.targets.getVersioned(ctx, id);
    if (current && current.value.State !== 'draining') continue;
    const record: TargetRecord = { Id: t.Id!, Port: port, AvailabilityZone: t.AvailabilityZone, Address: address,
      State: 'initial', ...REASONS.registering, RegisteredAt: nowIso(ctx.app) };
    await store.targets.put(ctx, id, record, current?.revision ?? 0);
  }
  return {};
}

export async function deregisterTargets(input: DeregisterTargetsInput, ctx: RequestContext): Promise<DeregisterTargetsOutput> {
  const tg = await findTg(ctx, input.TargetGroupArn!);
  const tgId = tgIdOf(tg.TargetGroupArn)!;
  const store = storeOf(ctx.app);
  const found = [];
  for (const t of input.Targets ?? []) {
    const id = `${tgId}/${targetKey(t.Id!, t.Port ?? tg.Port!)}`;
    const current = await store.targets.getVersioned(ctx, id);
    if (!current) throw invalidTarget(`The following targets are not registered in target group '${tg.TargetGroupArn}': '${t.Id}'`);
    found.push({ id, current });
  }
  const delay = Number(tg.Attributes['deregistration_delay.timeout_seconds'] ?? 300);
  for (const { id, current } of found) {
    if (current.value.State === 'draining') continue;
    if (delay === 0 || !tg.LoadBalancerArns?.length) { await store.targets.delete(ctx, id); continue; }
    const until = new Date(ctx.app.clock.now().getTime() + delay * 1000).toISOString();
    await store.targets.put(ctx, id, { ...current.value, State: 'draining', ...REASONS.draining, DrainUntil: until }, current.revision);
  }
  return {};
}

/** A target's health as DescribeTargetHealth shows it: a group no load balancer uses has `unused` targets. */
export function healthOf(tg: TargetGroupRecord, t: TargetRecord): TargetHealth {
  if (t.State === 'draining') return { State: 'draining', ...REASONS.draining };
  if (!tg.LoadBalancerArns?.length) return { State: 'unused', ...REASONS.notInUse };
  if (tg.HealthCheckEnabled === false) return { State: 'unavailable', ...REASONS.disabled };
  return t.State === 'healthy' ? { State: 'healthy' } : { State: t.State, Reason: t.Reason as TargetHealth['Reason'], Description: t.Description };
}

export async function describeTargetHealth(input: DescribeTargetHealthInput, ctx: RequestContext): Promise<DescribeTargetHealthOutput> {
  const tg = await findTg(ctx, input.TargetGroupArn!);
  const tgId = tgIdOf(tg.TargetGroupArn)!;
  const store = storeOf(ctx.app);
  const hcPort = (t: TargetRecord) => (tg.HealthCheckPort === 'traffic-port' ? String(t.Port) : tg.HealthCheckPort);
  const describe = (t: TargetRecord): TargetHealthDescription => ({
    Target: { Id: t.Id, Port: t.Port, ...(t.AvailabilityZone ? { AvailabilityZone: t.AvailabilityZone } : {}) },
    HealthCheckPort: hcPort(t), TargetHealth: healthOf(tg, t),
  });
  if (input.Targets?.length) {
    const out: TargetHealthDescription[] = [];
    for (const t of input.Targets) {
      const port = t.Port ?? tg.Port!;
      const found = await store.targets.get(ctx, `${tgId}/${targetKey(t.Id!, port)}`);
      out.push(found ? describe(found) : { Target: { Id: t.Id, Port: port }, HealthCheckPort: tg.HealthCheckPort === 'traffic-port' ? String(port) : tg.HealthCheckPort,
        TargetHealth: { State: 'unused', ...REASONS.notRegistered } });
    }
    return { TargetHealthDescriptions: out };
  }
  return { TargetHealthDescriptions: (await store.targets.list(ctx, `${tgId}/`)).map(describe) };
}

// Target groups: create with AWS's per-protocol health-check defaults and ranges, describe (by ARN,
// name, load balancer or page), modify, delete (refused while a listener or rule uses it), attributes.
import type {
  CreateTargetGroupInput, CreateTargetGroupOutput, DeleteTargetGroupInput, DeleteTargetGroupOutput, DescribeTargetGroupAttributesInput,
  DescribeTargetGroupAttributesOutput, DescribeTargetGroupsInput, DescribeTargetGroupsOutput, ModifyTargetGroupAttributesInput,
  ModifyTargetGroupAttributesOutput, ModifyTargetGroupInput, ModifyTargetGroupOutput, TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RequestContext } from '../../context.js';
import {
  checkName, checkTags, duplicateTgName, lbIdOf, resourceInUse, storeOf, tgArn, tgIdOf, tgNotFound, validationError, type TargetGroupRecord,
} from '../model.js';
import { findLb } from './load-balancers.js';

const HTTP_LIKE = new Set(['HTTP', 'HTTPS']);

export const view = (r: TargetGroupRecord): TargetGroup => {
  const { Attributes: _a, Tags: _t, ...rest } = r;
  return rest;
};

function attributeDefaults(r: TargetGroupRecord): Record<string, string> {
  const common = { 'deregistration_delay.timeout_seconds': '300', 'stickiness.enabled': 'false' };
  if (HTTP_LIKE.has(r.Protocol ?? '')) {
    return { ...common, 'stickiness.type': 'lb_cookie', 'stickiness.lb_cookie.duration_seconds': '86400', 'stickiness.app_cookie.cookie_name': '',
      'stickiness.app_cookie.duration_seconds': '86400', 'slow_start.duration_seconds': '0', 'load_balancing.algorithm.type': 'round_robin',
      'load_balancing.algorithm.anomaly_mitigation': 'off', 'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration' };
  }
  return { ...common, 'stickiness.type': 'source_ip', 'deregistration_delay.connection_termination.enabled': 'false',
    'preserve_client_ip.enabled': r.TargetType === 'ip' ? 'false' : 'true', 'proxy_protocol_v2.enabled': 'false',
    'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration' };
}

const int = (lo: number, hi: number) => (v: string) => /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;
const ATTRIBUTE_RULES: Record<string, (v: string) => boolean> = {
  'deregistration_delay.timeout_seconds': int(0, 3600),
  'stickiness.lb_cookie.duration_seconds': int(1, 604800),
  'stickiness.app_cookie.duration_seconds': int(1, 604800),
  'slow_start.duration_seconds': (v) => v === '0' || int(30, 900)(v),
  'stickiness.type': (v) => ['lb_cookie', 'app_cookie', 'source_ip', 'source_ip_dest_ip', 'source_ip_dest_ip_proto'].includes(v),
  'load_balancing.algorithm.type': (v) => ['round_robin', 'least_outstanding_requests', 'weighted_random'].includes(v),
};

/** Health-check settings with AWS's defaults for the protocol, checked against AWS's ranges. */
function healthCheck(input: CreateTargetGroupInput | ModifyTargetGroupInput, base: Partial<TargetGroup>, protocol: string): Partial<TargetGroup> {
  const http = HTTP_LIKE.has(protocol);
  const hcProtocol: TargetGroup['HealthCheckProtocol'] = input.HealthCheckProtocol ?? base.HealthCheckProtocol ?? (protocol === 'TCP' || protocol === 'TLS' || protocol === 'UDP' || protocol === 'TCP_UDP' ? 'TCP' : protocol as TargetGroup['HealthCheckProtocol']);
  const hcHttp = HTTP_LIKE.has(hcProtocol ?? '');
  const out: Partial<TargetGroup> = {
    HealthCheckProtocol: hcProtocol,
    HealthCheckPort: input.HealthCheckPort ?? base.HealthCheckPort ?? 'traffic-port',
    HealthCheckEnabled: input.HealthCheckEnabled ?? base.HealthCheckEnabled ?? true,
    HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? base.HealthCheckIntervalSeconds ?? 30,
    HealthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? base.HealthCheckTimeoutSeconds ?? (http ? 5 : hcHttp ? 6 : 10),
    HealthyThresholdCount: input.HealthyThresholdCount ?? base.HealthyThresholdCount ?? 5,
    UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? base.UnhealthyThresholdCount ?? 2,
    HealthCheckPath: hcHttp ? (input.HealthCheckPath ?? base.HealthCheckPath ?? '/') : undefined,
    Matcher: hcHttp ? { HttpCode: input.Matcher?.HttpCode ?? base.Matcher?.HttpCode ?? '200' } : undefined,
  };
  const range = (name: keyof TargetGroup, lo: number, hi: number) => {
    const v = out[name] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) throw validationError(`${String(name)} must be between ${lo} and ${hi}, but was ${v}`);
  };
  range('HealthCheckIntervalSeconds', 5, 300);
  range('HealthCheckTimeoutSeconds', 2, 120);
  range('HealthyThresholdCount', 2, 10);
  range('UnhealthyThresholdCount', 2, 10);
  if (out.HealthCheckTimeoutSeconds! >= out.HealthCheckIntervalSeconds!) {
    throw validationError('Health check interval must be greater than the timeout.');
  }
  if (out.HealthCheckPort !== 'traffic-port' && !(/^\d+$/.test(out.HealthCheckPort!) && Number(out.HealthCheckPort) >= 1 && Number(out.HealthCheckPort) <= 65535)) {
    throw validationError(`Health check port '${out.HealthCheckPort}' must be 'traffic-port' or a port between 1 and 65535`);
  }
  if (out.HealthCheckPath !== undefined && !out.HealthCheckPath.startsWith('/')) throw validationError('Health check path must begin with a \'/\' character');
  const code = out.Matcher?.HttpCode;
  if (code !== undefined && !/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(code)) throw validationError(`Health check matcher HTTP code '${code}' is not valid`);
  if (!hcHttp && (input.HealthCheckPath || input.Matcher)) throw validationError(`Health check path and matcher are not supported for health check protocol '${hcProtocol}'`);
  return out;
}

export async function findTg(ctx: RequestContext, arnValue: string): Promise<TargetGroupRecord> {
  const id = tgIdOf(arnValue);
  if (!id) throw validationError(`'${arnValue}' is not a valid target group ARN`);
  const tg = await storeOf(ctx.app).tgs.get(ctx, id);
  if (!tg) throw tgNotFound(`Target groups '${arnValue}' not found`);
  return tg;
}

export async function createTargetGroup(input: CreateTargetGroupInput, ctx: RequestContext): Promise<CreateTargetGroupOutput> {
  checkName(input.Name!, 'target group');
  const targetType = input.TargetType ?? 'instance';
  if (targetType === 'lambda' || targetType === 'alb') throw validationError(`Target type '${targetType}' is not supported by Berth`);
  if (!input.Protocol) throw validationError('A protocol must be specified');
  if (input.Port === undefined) throw validationError('A port must be specified');
  if (input.Port < 1 || input.Port > 65535) throw validationError(`Port '${input.Port}' must be between 1 and 65535`);
  if (!input.VpcId) throw validationError('A VPC ID must be specified');
  if (input.Protocol === 'GENEVE') throw validationError('Protocol \'GENEVE\' is not supported by Berth');
  const tags = checkTags(input.Tags);
  const store = storeOf(ctx.app);
  const id = ctx.app.ids.hex(16);
  const base: TargetGroupRecord = {
    TargetGroupArn: tgArn(ctx, input.Name!, id), TargetGroupName: input.Name!, Protocol: input.Protocol, Port: input.Port,
    VpcId: input.VpcId, TargetType: targetType, LoadBalancerArns: [], IpAddressType: input.IpAddressType ?? 'ipv4',
    ProtocolVersion: HTTP_LIKE.has(input.Protocol) ? (input.ProtocolVersion ?? 'HTTP1') : undefined,
    Attributes: {}, Tags: tags, ...healthCheck(input, {}, input.Protocol),
  };
  base.Attributes = attributeDefaults(base);
  const existingId = await store.tgNames.get(ctx, input.Name!);
  if (existingId) {
    const existing = await store.tgs.get(ctx, existingId);
    if (existing && existing.Protocol === base.Protocol && existing.Port === base.Port && existing.TargetType === base.TargetType) return { TargetGroups: [view(existing)] };
    throw duplicateTgName(`A target group with the same name '${input.Name}' exists, but with different settings`);
  }
  const ok = await store.store.txn(
    [{ key: store.tgNames.key(ctx, input.Name!), modRevision: 0 }],
    [{ type: 'put', key: store.tgNames.key(ctx, input.Name!), value: JSON.stringify(id) }, { type: 'put', key: store.tgs.key(ctx, id), value: JSON.stringify(base) }],
  );
  if (!ok.succeeded) throw duplicateTgName(`A target group with the same name '${input.Name}' exists, but with different settings`);
  return { TargetGroups: [view(base)] };
}

export async function describeTargetGroups(input: DescribeTargetGroupsInput, ctx: RequestContext): Promise<DescribeTargetGroupsOutput> {
  const store = storeOf(ctx.app);
  const given = [input.TargetGroupArns?.length, input.Names?.length, input.LoadBalancerArn].filter(Boolean).length;
  if (given > 1) throw validationError('Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time');
  if (input.TargetGroupArns?.length) return { TargetGroups: await Promise.all(input.TargetGroupArns.map(async (a) => view(await findTg(ctx, a)))) };
  if (input.Names?.length) {
    const out: TargetGroup[] = [];
    for (const name of input.Names) {
      const id = await store.tgNames.get(ctx, name);
      const tg = id && await store.tgs.get(ctx, id);
      if (!tg) throw tgNotFound(`Target groups '[${name}]' not found`);
      out.push(view(tg));
    }
    return { TargetGroups: out };
  }
  if (input.LoadBalancerArn) {
    const lb = await findLb(ctx, input.LoadBalancerArn);
    const ids = new Set<string>();
    for (const l of await store.listeners.list(ctx, `${lbIdOf(lb.LoadBalancerArn)}/`)) {
      for (const r of await store.rules.list(ctx, `${l.ListenerArn.split('/').at(-1)}/`)) {
        for (const a of r.Actions ?? []) for (const t of a.ForwardConfig?.TargetGroups ?? []) ids.add(tgIdOf(t.TargetGroupArn!)!);
      }
    }
    const found = await Promise.all([...ids].map((id) => store.tgs.get(ctx, id)));
    return { TargetGroups: found.filter((t): t is TargetGroupRecord => !!t).map(view) };
  }
  const pageSize = input.PageSize ?? 400;
  if (pageSize < 1 || pageSize > 400) throw validationError(`Page size '${pageSize}' must be between 1 and 400`);
  const page = await ctx.app.store.range(store.tgs.prefix(ctx), { limit: pageSize, startAfter: input.Marker ? store.tgs.key(ctx, input.Marker) : undefined });
  const items = page.kvs.map((kv) => JSON.parse(kv.value) as TargetGroupRecord);
  return { TargetGroups: items.map(view), NextMarker: page.more ? tgIdOf(items.at(-1)!.TargetGroupArn) : undefined };
}

export async function modifyTargetGroup(input: ModifyTargetGroupInput, ctx: RequestContext): Promise<ModifyTargetGroupOutput> {
  const tg = await findTg(ctx, input.TargetGroupArn!);
  const next: TargetGroupRecord = { ...tg, ...healthCheck(input, tg, tg.Protocol!) };
  await storeOf(ctx.app).tgs.put(ctx, tgIdOf(tg.TargetGroupArn)!, next);
  return { TargetGroups: [view(next)] };
}

export async function deleteTargetGroup(input: DeleteTargetGroupInput, ctx: RequestContext): Promise<DeleteTargetGroupOutput> {
  const id = tgIdOf(input.TargetGroupArn!);
  if (!id) throw validationError(`'${input.TargetGroupArn}' is not a valid target group ARN`);
  const store = storeOf(ctx.app);
  const tg = await store.tgs.get(ctx, id);
  if (!tg) return {};
  if (tg.LoadBalancerArns?.length) throw resourceInUse(`Target group '${tg.TargetGroupArn}' is currently in use by a listener or a rule`);
  const targets = await ctx.app.store.list(store.targets.prefix(ctx, `${id}/`));
  await store.store.txn([], [
    { type: 'delete', key: store.tgs.key(ctx, id) }, { type: 'delete', key: store.tgNames.key(ctx, tg.TargetGroupName) },
    ...targets.map((kv) => ({ type: 'delete' as const, key: kv.key })),
  ]);
  return {};
}

export async function describeTargetGroupAttributes(input: DescribeTargetGroupAttributesInput, ctx: RequestContext): Promise<DescribeTargetGroupAttributesOutput> {
  const tg = await findTg(ctx, input.TargetGroupArn!);
  return { Attributes: Object.entries(tg.Attributes).map(([Key, Value]) => ({ Key, Value })) };
}

export async function modifyTargetGroupAttributes(input: ModifyTargetGroupAttributesInput, ctx: RequestContext): Promise<ModifyTargetGroupAttributesOutput> {
  const tg = await findTg(ctx, input.TargetGroupArn!);
  const next = { ...tg.Attributes };
  for (const { Key, Value } of input.Attributes ?? []) {
    if (!Key || !(Key in tg.Attributes)) throw validationError(`Target group attribute key '${Key}' is not recognized`);
    const v = Value ?? '';
    const ok = ATTRIBUTE_RULES[Key] ?? (Key.endsWith('.enabled') ? (x: string) => /^(true|false)$/.test(x) : () => true);
    if (!ok(v)) throw validationError(`Target group attribute value '${v}' is not valid for attribute key '${Key}'`);
    next[Key] = v;
  }
  await storeOf(ctx.app).tgs.put(ctx, tgIdOf(tg.TargetGroupArn)!, { ...tg, Attributes: next });
  return { Attributes: Object.entries(next).map(([Key, Value]) => ({ Key, Value })) };
}

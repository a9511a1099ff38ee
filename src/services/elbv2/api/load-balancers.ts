// Load balancers: create (own loopback address = DNSName), describe (by ARN, name or page),
// delete (honours deletion protection; takes its listeners and rules along), attributes.
import type {
  AvailabilityZone, CreateLoadBalancerInput, CreateLoadBalancerOutput, DeleteLoadBalancerInput, DeleteLoadBalancerOutput,
  DescribeLoadBalancerAttributesInput, DescribeLoadBalancerAttributesOutput, DescribeLoadBalancersInput, DescribeLoadBalancersOutput,
  LoadBalancer, ModifyLoadBalancerAttributesInput, ModifyLoadBalancerAttributesOutput, SetSecurityGroupsInput, SetSecurityGroupsOutput,
  SetSubnetsInput, SetSubnetsOutput, SubnetMapping,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Scope } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { claimAddress, releaseAddress } from '../addresses.js';
import {
  checkName, checkTags, duplicateLbName, invalidConfig, lbArn, lbIdOf, lbNotFound, nowIso, operationNotPermitted, storeOf, validationError,
  type LoadBalancerRecord,
} from '../model.js';
import { deleteListenerCascade } from './listeners.js';

const HOSTED_ZONE: Record<string, string> = { application: 'Z35SXDOTRQ7X7K', network: 'Z26RNL4JYFTOTI' };

const ALB_ATTRIBUTES: Record<string, string> = {
  'deletion_protection.enabled': 'false', 'access_logs.s3.enabled': 'false', 'access_logs.s3.bucket': '', 'access_logs.s3.prefix': '',
  'connection_logs.s3.enabled': 'false', 'connection_logs.s3.bucket': '', 'connection_logs.s3.prefix': '',
  'idle_timeout.timeout_seconds': '60', 'client_keep_alive.seconds': '3600', 'routing.http2.enabled': 'true',
  'routing.http.drop_invalid_header_fields.enabled': 'false', 'routing.http.preserve_host_header.enabled': 'false',
  'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': 'false', 'routing.http.xff_client_port.enabled': 'false',
  'routing.http.xff_header_processing.mode': 'append', 'routing.http.desync_mitigation_mode': 'defensive',
  'waf.fail_open.enabled': 'false', 'load_balancing.cross_zone.enabled': 'true',
};
const NLB_ATTRIBUTES: Record<string, string> = {
  'deletion_protection.enabled': 'false', 'access_logs.s3.enabled': 'false', 'access_logs.s3.bucket': '', 'access_logs.s3.prefix': '',
  'load_balancing.cross_zone.enabled': 'false', 'dns_record.client_routing_policy': 'any_availability_zone',
};

const BOOL = /^(true|false)$/;
const ATTRIBUTE_RULES: Record<string, (v: string) => boolean> = {
  'idle_timeout.timeout_seconds': (v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 4000,
  'client_keep_alive.seconds': (v) => /^\d+$/.test(v) && Number(v) >= 60 && Number(v) <= 604800,
  'routing.http.xff_header_processing.mode': (v) => ['append', 'preserve', 'remove'].includes(v),
  'routing.http.desync_mitigation_mode': (v) => ['monitor', 'defensive', 'strictest'].includes(v),
  'dns_record.client_routing_policy': (v) => ['availability_zone_affinity', 'partial_availability_zone_affinity', 'any_availability_zone'].includes(v),
};

export const view = (r: LoadBalancerRecord): LoadBalancer => ({
  LoadBalancerArn: r.LoadBalancerArn, DNSName: r.DNSName, CanonicalHostedZoneId: r.CanonicalHostedZoneId, CreatedTime: r.CreatedTime,
  LoadBalancerName: r.LoadBalancerName, Scheme: r.Scheme, VpcId: r.VpcId, State: r.State, Type: r.Type,
  AvailabilityZones: r.AvailabilityZones, SecurityGroups: r.Type === 'application' ? r.SecurityGroups : undefined, IpAddressType: r.IpAddressType,
});

/** Subnets → availability zones: until Berth has EC2, the i-th subnet given is in the region's i-th zone (a, b, c…). */
function zones(region: string, subnets: string[] | undefined, mappings: SubnetMapping[] | undefined): AvailabilityZone[] {
  const ids = mappings?.map((m) => m.SubnetId ?? '') ?? subnets ?? [];
  if (ids.some((s) => !/^subnet-[0-9a-f]+$/.test(s))) throw validationError(`The subnet ID '${ids.find((s) => !/^subnet-[0-9a-f]+$/.test(s))}' is not valid`);
  if (new Set(ids).size !== ids.length) throw validationError('The same subnet was specified more than once');
  return ids.map((SubnetId, i) => ({ ZoneName: `${region}${String.fromCharCode(97 + (i % 6))}`, SubnetId, LoadBalancerAddresses: [] }));
}

export async function findLb(ctx: RequestContext, arnValue: string): Promise<LoadBalancerRecord> {
  const id = lbIdOf(arnValue);
  if (!id) throw validationError(`'${arnValue}' is not a valid load balancer ARN`);
  const lb = await storeOf(ctx.app).lbs.get(ctx, id);
  if (!lb) throw lbNotFound(`Load balancer '${arnValue}' not found`);
  return lb;
}

export async function createLoadBalancer(input: CreateLoadBalancerInput, ctx: RequestContext): Promise<CreateLoadBalancerOutput> {
  const type = input.Type ?? 'application';
  checkName(input.Name!, 'load balancer');
  if (type === 'gateway') throw validationError('Gateway load balancers are not supported by Berth');
  if (input.Subnets && input.SubnetMappings) throw validationError('You can specify subnets or subnet mappings, not both');
  const tags = checkTags(input.Tags);
  const store = storeOf(ctx.app);
  const existingId = await store.lbNames.get(ctx, input.Name!);
  if (existingId) {
    const existing = await store.lbs.get(ctx, existingId);
    // CreateLoadBalancer is idempotent for the same name and settings, as on AWS.
    if (existing && existing.Type === type) return { LoadBalancers: [view(existing)] };
    throw duplicateLbName(`A load balancer with the name '${input.Name}' already exists`);
  }
  let azs = zones(ctx.region, input.Subnets, input.SubnetMappings);
  if (azs.length === 0) azs = zones(ctx.region, ['subnet-0a000000000000001', 'subnet-0b000000000000002'], undefined);
  if (type === 'application' && azs.length < 2) throw validationError('At least two subnets in two different Availability Zones must be specified');
  if (type === 'network' && input.SecurityGroups?.length) void 0; // NLBs accept security groups since 2023.
  const id = ctx.app.ids.hex(16);
  const arnValue = lbArn(ctx, type, input.Name!, id);
  const address = await claimAddress(ctx.app, arnValue);
  azs = azs.map((z) => ({ ...z, LoadBalancerAddresses: type === 'network' ? [{ IpAddress: address }] : [] }));
  const record: LoadBalancerRecord = {
    LoadBalancerArn: arnValue, LoadBalancerName: input.Name!, Type: type, Address: address, DNSName: address,
    CanonicalHostedZoneId: HOSTED_ZONE[type], CreatedTime: ctx.app.clock.now(), Scheme: input.Scheme ?? 'internet-facing',
    VpcId: `vpc-${id.slice(0, 8)}`, State: { Code: 'active' }, AvailabilityZones: azs, IpAddressType: input.IpAddressType ?? 'ipv4',
    SecurityGroups: type === 'application' ? (input.SecurityGroups ?? [`sg-${id.slice(0, 17)}`]) : input.SecurityGroups,
    Attributes: { ...(type === 'network' ? NLB_ATTRIBUTES : ALB_ATTRIBUTES) }, Tags: tags,
  };
  const ok = await store.store.txn(
    [{ key: store.lbNames.key(ctx, input.Name!), modRevision: 0 }],
    [{ type: 'put', key: store.lbNames.key(ctx, input.Name!), value: JSON.stringify(id) },
      { type: 'put', key: store.lbs.key(ctx, id), value: JSON.stringify({ ...record, CreatedTime: nowIso(ctx.app) }) }],
  );
  if (!ok.succeeded) {
    await releaseAddress(ctx.app, address);
    throw duplicateLbName(`A load balancer with the name '${input.Name}' already exists`);
  }
  return { LoadBalancers: [view(record)] };
}

export async function describeLoadBalancers(input: DescribeLoadBalancersInput, ctx: RequestContext): Promise<DescribeLoadBalancersOutput> {
  const store = storeOf(ctx.app);
  if (input.LoadBalancerArns?.length && input.Names?.length) throw validationError('Load balancer names and load balancer ARNs cannot be specified at the same time');
  if (input.LoadBalancerArns?.length) return { LoadBalancers: await Promise.all(input.LoadBalancerArns.map(async (a) => view(await findLb(ctx, a)))) };
  if (input.Names?.length) {
    const out: LoadBalancer[] = [];
    for (const name of input.Names) {
      const id = await store.lbNames.get(ctx, name);
      const lb = id && await store.lbs.get(ctx, id);
      if (!lb) throw lbNotFound(`Load balancers '[${name}]' not found`);
      out.push(view(lb));
    }
    return { LoadBalancers: out };
  }
  const pageSize = input.PageSize ?? 400;
  if (pageSize < 1 || pageSize > 400) throw validationError(`Page size '${pageSize}' must be between 1 and 400`);
  const page = await ctx.app.store.range(store.lbs.prefix(ctx), { limit: pageSize, startAfter: input.Marker ? store.lbs.key(ctx, input.Marker) : undefined });
  const items = page.kvs.map((kv) => JSON.parse(kv.value) as LoadBalancerRecord);
  return { LoadBalancers: items.map(view), NextMarker: page.more ? lbIdOf(items.at(-1)!.LoadBalancerArn) : undefined };
}

export async function deleteLoadBalancer(input: DeleteLoadBalancerInput, ctx: RequestContext): Promise<DeleteLoadBalancerOutput> {
  const id = lbIdOf(input.LoadBalancerArn!);
  if (!id) throw validationError(`'${input.LoadBalancerArn}' is not a valid load balancer ARN`);
  const store = storeOf(ctx.app);
  const lb = await store.lbs.get(ctx, id);
  if (!lb) return {}; // deleting a missing load balancer succeeds, as on AWS
  if (lb.Attributes['deletion_protection.enabled'] === 'true') {
    throw operationNotPermitted(`Load balancer '${lb.LoadBalancerArn}' cannot be deleted because deletion protection is enabled`);
  }
  for (const l of await store.listeners.list(ctx, `${id}/`)) await deleteListenerCascade(ctx, l);
  await store.store.txn([], [{ type: 'delete', key: store.lbs.key(ctx, id) }, { type: 'delete', key: store.lbNames.key(ctx, lb.LoadBalancerName) }]);
  await releaseAddress(ctx.app, lb.Address);
  return {};
}

export async function describeLoadBalancerAttributes(input: DescribeLoadBalancerAttributesInput, ctx: RequestContext): Promise<DescribeLoadBalancerAttributesOutput> {
  const lb = await findLb(ctx, input.LoadBalancerArn!);
  return { Attributes: Object.entries(lb.Attributes).map(([Key, Value]) => ({ Key, Value })) };
}

export async function modifyLoadBalancerAttributes(input: ModifyLoadBalancerAttributesInput, ctx: RequestContext): Promise<ModifyLoadBalancerAttributesOutput> {
  const lb = await findLb(ctx, input.LoadBalancerArn!);
  const next = { ...lb.Attributes };
  for (const { Key, Value } of input.Attributes ?? []) {
    if (!Key || !(Key in lb.Attributes)) throw validationError(`Load balancer attribute key '${Key}' is not recognized`);
    const v = Value ?? '';
    const ok = ATTRIBUTE_RULES[Key] ?? (Key.endsWith('.enabled') ? (x: string) => BOOL.test(x) : () => true);
    if (!ok(v)) throw validationError(`Load balancer attribute value '${v}' is not valid for attribute key '${Key}'`);
    if (Key === 'access_logs.s3.enabled' && v === 'true' && !(next['access_logs.s3.bucket'] || input.Attributes?.some((a) => a.Key === 'access_logs.s3.bucket' && a.Value))) {
      throw invalidConfig('The value of \'access_logs.s3.bucket\' cannot be empty when access logs are enabled');
    }
    next[Key] = v;
  }
  await putLb(ctx, { ...lb, Attributes: next });
  return { Attributes: Object.entries(next).map(([Key, Value]) => ({ Key, Value })) };
}

export async function setSecurityGroups(input: SetSecurityGroupsInput, ctx: RequestContext): Promise<SetSecurityGroupsOutput> {
  const lb = await findLb(ctx, input.LoadBalancerArn!);
  await putLb(ctx, { ...lb, SecurityGroups: input.SecurityGroups ?? [] });
  return { SecurityGroupIds: input.SecurityGroups ?? [] };
}

export async function setSubnets(input: SetSubnetsInput, ctx: RequestContext): Promise<SetSubnetsOutput> {
  const lb = await findLb(ctx, input.LoadBalancerArn!);
  const azs = zones(ctx.region, input.Subnets, input.SubnetMappings);
  if (lb.Type === 'application' && azs.length < 2) throw validationError('At least two subnets in two different Availability Zones must be specified');
  await putLb(ctx, { ...lb, AvailabilityZones: azs });
  return { AvailabilityZones: azs };
}

export async function putLb(scope: RequestContext, lb: LoadBalancerRecord) {
  await storeOf(scope.app).lbs.put(scope as Scope, lbIdOf(lb.LoadBalancerArn)!, lb);
}

// Listeners: one per (load balancer, port); the default actions live in the listener's default rule
// (as DescribeRules shows it). Target groups record which load balancers use them.
import type {
  Certificate, CreateListenerInput, CreateListenerOutput, DeleteListenerInput, DeleteListenerOutput, DescribeListenersInput,
  DescribeListenersOutput, Listener, ModifyListenerInput, ModifyListenerOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RequestContext } from '../../context.js';
import {
  checkTags, duplicateListener, lbIdOf, listenerArn, listenerKeyOf, listenerNotFound, ruleArn, storeOf, tgIdOf, unsupportedProtocol,
  validationError, type ListenerRecord, type LoadBalancerRecord, type RuleRecord,
} from '../model.js';
import { checkActions } from './actions.js';
import { findLb } from './load-balancers.js';

const PROTOCOLS: Record<string, string[]> = { application: ['HTTP', 'HTTPS'], network: ['TCP', 'TLS', 'UDP', 'TCP_UDP'] };

export const view = (r: ListenerRecord): Listener => {
  const { Tags: _t, ...rest } = r;
  return rest;
};

export async function findListener(ctx: RequestContext, arnValue: string): Promise<ListenerRecord> {
  const key = listenerKeyOf(arnValue);
  if (!key) throw validationError(`'${arnValue}' is not a valid listener ARN`);
  const l = await storeOf(ctx.app).listeners.get(ctx, key);
  if (!l) throw listenerNotFound(`Listener '${arnValue}' not found`);
  return l;
}

function checkProtocol(lb: LoadBalancerRecord, protocol: string, port: number, certificates: Certificate[] | undefined) {
  if (!PROTOCOLS[lb.Type]?.includes(protocol)) throw unsupportedProtocol(`Protocol '${protocol}' is not supported for load balancers of type '${lb.Type}'`);
  if (port < 1 || port > 65535) throw validationError(`Port '${port}' must be between 1 and 65535`);
  if ((protocol === 'HTTPS' || protocol === 'TLS') && !certificates?.length) throw validationError(`A certificate must be specified for ${protocol} listeners`);
}

/** Recomputes which of `tgIds` the load balancer uses, from its listeners' rules. */
export async function refreshTargetGroupUsage(ctx: RequestContext, lb: LoadBalancerRecord, tgIds: Iterable<string>) {
  const store = storeOf(ctx.app);
  const used = new Set<string>();
  for (const l of await store.listeners.list(ctx, `${lbIdOf(lb.LoadBalancerArn)}/`)) {
    for (const r of await store.rules.list(ctx, `${l.ListenerArn.split('/').at(-1)}/`)) {
      for (const a of r.Actions ?? []) for (const g of a.ForwardConfig?.TargetGroups ?? []) used.add(tgIdOf(g.TargetGroupArn!)!);
    }
  }
  for (const id of new Set(tgIds)) {
    const tg = await store.tgs.getVersioned(ctx, id);
    if (!tg) continue;
    const others = (tg.value.LoadBalancerArns ?? []).filter((a) => a !== lb.LoadBalancerArn);
    const next = used.has(id) ? [...others, lb.LoadBalancerArn] : others;
    if (next.length !== (tg.value.LoadBalancerArns ?? []).length) await store.tgs.put(ctx, id, { ...tg.value, LoadBalancerArns: next });
  }
}

const forwardedIds = (rules: { Actions?: RuleRecord['Actions'] }[]) =>
  rules.flatMap((r) => (r.Actions ?? []).flatMap((a) => (a.ForwardConfig?.TargetGroups ?? []).map((g) => tgIdOf(g.TargetGroupArn!)!)));

export async function createListener(input: CreateListenerInput, ctx: RequestContext): Promise<CreateListenerOutput> {
  const lb = await findLb(ctx, input.LoadBalancerArn!);
  const protocol = input.Protocol ?? (lb.Type === 'network' ? 'TCP' : 'HTTP');
  const port = input.Port ?? (protocol === 'HTTPS' || protocol === 'TLS' ? 443 : 80);
  checkProtocol(lb, protocol, port, input.Certificates);
  const tags = checkTags(input.Tags);
  const { actions, targetGroups } = await checkActions(ctx, lb, protocol, input.DefaultActions);
  const store = storeOf(ctx.app);
  const lbId = lbIdOf(lb.LoadBalancerArn)!;
  const siblings = await store.listeners.list(ctx, `${lbId}/`);
  if (siblings.some((l) => l.Port === port)) throw duplicateListener(`A listener already exists on port ${port} of load balancer '${lb.LoadBalancerArn}'`);
  const id = ctx.app.ids.hex(16);
  const listener: ListenerRecord = {
    ListenerArn: listenerArn(lb, id), LoadBalancerArn: lb.LoadBalancerArn, Port: port, Protocol: protocol, DefaultActions: actions,
    Certificates: input.Certificates?.map((c) => ({ CertificateArn: c.CertificateArn })), AlpnPolicy: input.AlpnPolicy,
    SslPolicy: protocol === 'HTTPS' || protocol === 'TLS' ? (input.SslPolicy ?? 'ELBSecurityPolicy-2016-08') : undefined, Tags: tags,
  };
  const rule: RuleRecord = { RuleArn: ruleArn(listener, ctx.app.ids.hex(16)), ListenerArn: listener.ListenerArn, Priority: 'default',
    Conditions: [], Actions: actions, IsDefault: true, Tags: [] };
  const listenerKey = store.listeners.key(ctx, `${lbId}/${id}`);
  const ok = await store.store.txn([{ key: listenerKey, modRevision: 0 }], [
    { type: 'put', key: listenerKey, value: JSON.stringify(listener) },
    { type: 'put', key: store.rules.key(ctx, `${id}/${rule.RuleArn.split('/').at(-1)}`), value: JSON.stringify(rule) },
  ]);
  if (!ok.succeeded) throw duplicateListener(`A listener already exists on port ${port} of load balancer '${lb.LoadBalancerArn}'`);
  await refreshTargetGroupUsage(ctx, lb, targetGroups.map((t) => tgIdOf(t.TargetGroupArn)!));
  return { Listeners: [view(listener)] };
}

export async function describeListeners(input: DescribeListenersInput, ctx: RequestContext): Promise<DescribeListenersOutput> {
  if (input.ListenerArns?.length && input.LoadBalancerArn) throw validationError('Listener ARNs and a load balancer ARN cannot be specified at the same time');
  if (input.ListenerArns?.length) return { Listeners: await Promise.all(input.ListenerArns.map(async (a) => view(await findListener(ctx, a)))) };
  if (!input.LoadBalancerArn) throw validationError('You must specify either listener ARNs or a load balancer ARN');
  const lb = await findLb(ctx, input.LoadBalancerArn);
  const list = await storeOf(ctx.app).listeners.list(ctx, `${lbIdOf(lb.LoadBalancerArn)}/`);
  return { Listeners: list.sort((a, b) => a.Port - b.Port).map(view) };
}

export async function modifyListener(input: ModifyListenerInput, ctx: RequestContext): Promise<ModifyListenerOutput> {
  const current = await findListener(ctx, input.ListenerArn!);
  const lb = await findLb(ctx, current.LoadBalancerArn);
  const store = storeOf(ctx.app);
  const protocol = input.Protocol ?? current.Protocol!;
  const port = input.Port ?? current.Port;
  const certificates = input.Certificates ?? current.Certificates;
  checkProtocol(lb, protocol, port, certificates);
  const lbId = lbIdOf(lb.LoadBalancerArn)!;
  const listenerId = current.ListenerArn.split('/').at(-1)!;
  if (port !== current.Port && (await store.listeners.list(ctx, `${lbId}/`)).some((l) => l.Port === port)) {
    throw duplicateListener(`A listener already exists on port ${port} of load balancer '${lb.LoadBalancerArn}'`);
  }
  const checked = input.DefaultActions ? await checkActions(ctx, lb, protocol, input.DefaultActions) : undefined;
  const next: ListenerRecord = { ...current, Protocol: protocol, Port: port, Certificates: certificates,
    SslPolicy: protocol === 'HTTPS' || protocol === 'TLS' ? (input.SslPolicy ?? current.SslPolicy ?? 'ELBSecurityPolicy-2016-08') : undefined,
    DefaultActions: checked?.actions ?? current.DefaultActions };
  await store.listeners.put(ctx, `${lbId}/${listenerId}`, next);
  if (checked) {
    const rules = await store.rules.list(ctx, `${listenerId}/`);
    const def = rules.find((r) => r.IsDefault);
    if (def) await store.rules.put(ctx, `${listenerId}/${def.RuleArn.split('/').at(-1)}`, { ...def, Actions: checked.actions });
    await refreshTargetGroupUsage(ctx, lb, [...forwardedIds(current.DefaultActions ? [{ Actions: current.DefaultActions }] : []),
      ...checked.targetGroups.map((t) => tgIdOf(t.TargetGroupArn)!)]);
  }
  return { Listeners: [view(next)] };
}

/** Deletes a listener and its rules, then releases the target groups they used. */
export async function deleteListenerCascade(ctx: RequestContext, listener: ListenerRecord) {
  const store = storeOf(ctx.app);
  const listenerId = listener.ListenerArn.split('/').at(-1)!;
  const rules = await store.rules.list(ctx, `${listenerId}/`);
  await store.store.txn([], [
    { type: 'delete', key: store.listeners.key(ctx, listenerKeyOf(listener.ListenerArn)!) },
    ...rules.map((r) => ({ type: 'delete' as const, key: store.rules.key(ctx, `${listenerId}/${r.RuleArn.split('/').at(-1)}`) })),
  ]);
  const lb = await store.lbs.get(ctx, lbIdOf(listener.LoadBalancerArn)!);
  if (lb) await refreshTargetGroupUsage(ctx, lb, forwardedIds(rules));
}

export async function deleteListener(input: DeleteListenerInput, ctx: RequestContext): Promise<DeleteListenerOutput> {
  await deleteListenerCascade(ctx, await findListener(ctx, input.ListenerArn!));
  return {};
}

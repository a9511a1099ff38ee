// Listener rules: priorities 1–50000, unique per listener; the default rule can't be deleted or
// given conditions. Evaluation order is the data plane's (data/routing.ts).
import type {
  CreateRuleInput, CreateRuleOutput, DeleteRuleInput, DeleteRuleOutput, DescribeRulesInput, DescribeRulesOutput, ModifyRuleInput,
  ModifyRuleOutput, Rule, SetRulePrioritiesInput, SetRulePrioritiesOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RequestContext } from '../../context.js';
import {
  checkTags, operationNotPermitted, priorityInUse, ruleArn, ruleKeyOf, ruleNotFound, storeOf, tgIdOf, validationError, type RuleRecord,
} from '../model.js';
import { checkActions, checkConditions } from './actions.js';
import { findListener, refreshTargetGroupUsage } from './listeners.js';
import { findLb } from './load-balancers.js';

export const view = (r: RuleRecord): Rule => ({ RuleArn: r.RuleArn, Priority: r.Priority, Conditions: r.Conditions, Actions: r.Actions, IsDefault: r.IsDefault });

const sortRules = (rules: RuleRecord[]) =>
  rules.sort((a, b) => (a.IsDefault ? 1 : b.IsDefault ? -1 : Number(a.Priority) - Number(b.Priority)));

async function findRule(ctx: RequestContext, arnValue: string) {
  const key = ruleKeyOf(arnValue);
  if (!key) throw validationError(`'${arnValue}' is not a valid rule ARN`);
  const found = await storeOf(ctx.app).rules.getVersioned(ctx, key);
  if (!found) throw ruleNotFound(`Rule '${arnValue}' not found`);
  return { key, rule: found.value, revision: found.revision };
}

function checkPriority(p: number | undefined): number {
  if (p === undefined || !Number.isInteger(p) || p < 1 || p > 50000) throw validationError(`Priority '${p}' must be between 1 and 50000`);
  return p;
}

const tgIdsOf = (r: { Actions?: RuleRecord['Actions'] }) =>
  (r.Actions ?? []).flatMap((a) => (a.ForwardConfig?.TargetGroups ?? []).map((g) => tgIdOf(g.TargetGroupArn!)!));

export async function createRule(input: CreateRuleInput, ctx: RequestContext): Promise<CreateRuleOutput> {
  const listener = await findListener(ctx, input.ListenerArn!);
  const lb = await findLb(ctx, listener.LoadBalancerArn);
  const priority = checkPriority(input.Priority);
  const conditions = checkConditions(lb, input.Conditions);
  const { actions } = await checkActions(ctx, lb, listener.Protocol!, input.Actions);
  const tags = checkTags(input.Tags);
  const store = storeOf(ctx.app);
  const listenerId = listener.ListenerArn.split('/').at(-1)!;
  const existing = await store.rules.list(ctx, `${listenerId}/`);
  if (existing.some((r) => r.Priority === String(priority))) throw priorityInUse(`Priority '${priority}' is currently in use`);
  if (existing.length > 100) throw validationError('The quota of rules per listener (100) has been reached');
  const id = ctx.app.ids.hex(16);
  const rule: RuleRecord = { RuleArn: ruleArn(listener, id), ListenerArn: listener.ListenerArn, Priority: String(priority),
    Conditions: conditions, Actions: actions, IsDefault: false, Tags: tags };
  await store.rules.create(ctx, `${listenerId}/${id}`, rule);
  await refreshTargetGroupUsage(ctx, lb, tgIdsOf(rule));
  return { Rules: [view(rule)] };
}

export async function describeRules(input: DescribeRulesInput, ctx: RequestContext): Promise<DescribeRulesOutput> {
  if (input.RuleArns?.length && input.ListenerArn) throw validationError('Rule ARNs and a listener ARN cannot be specified at the same time');
  if (input.RuleArns?.length) return { Rules: await Promise.all(input.RuleArns.map(async (a) => view((await findRule(ctx, a)).rule))) };
  if (!input.ListenerArn) throw validationError('You must specify either listener ARN or rule ARNs');
  const listener = await findListener(ctx, input.ListenerArn);
  const rules = await storeOf(ctx.app).rules.list(ctx, `${listener.ListenerArn.split('/').at(-1)}/`);
  return { Rules: sortRules(rules).map(view) };
}

export async function modifyRule(input: ModifyRuleInput, ctx: RequestContext): Promise<ModifyRuleOutput> {
  const { key, rule } = await findRule(ctx, input.RuleArn!);
  const listener = await findListener(ctx, rule.ListenerArn);
  const lb = await findLb(ctx, listener.LoadBalancerArn);
  if (rule.IsDefault && input.Conditions?.length) throw operationNotPermitted('Conditions cannot be added to the default rule');
  const conditions = input.Conditions ? checkConditions(lb, input.Conditions) : rule.Conditions;
  const actions = input.Actions ? (await checkActions(ctx, lb, listener.Protocol!, input.Actions)).actions : rule.Actions;
  const next: RuleRecord = { ...rule, Conditions: conditions, Actions: actions };
  await storeOf(ctx.app).rules.put(ctx, key, next);
  if (rule.IsDefault) {
    const listenerKey = `${lb.LoadBalancerArn.split('/').at(-1)}/${listener.ListenerArn.split('/').at(-1)}`;
    await storeOf(ctx.app).listeners.put(ctx, listenerKey, { ...listener, DefaultActions: actions });
  }
  await refreshTargetGroupUsage(ctx, lb, [...tgIdsOf(rule), ...tgIdsOf(next)]);
  return { Rules: [view(next)] };
}

export async function deleteRule(input: DeleteRuleInput, ctx: RequestContext): Promise<DeleteRuleOutput> {
  const { key, rule } = await findRule(ctx, input.RuleArn!);
  if (rule.IsDefault) throw operationNotPermitted('The default rule cannot be deleted');
  await storeOf(ctx.app).rules.delete(ctx, key);
  const listener = await findListener(ctx, rule.ListenerArn);
  await refreshTargetGroupUsage(ctx, await findLb(ctx, listener.LoadBalancerArn), tgIdsOf(rule));
  return {};
}

export async function setRulePriorities(input: SetRulePrioritiesInput, ctx: RequestContext): Promise<SetRulePrioritiesOutput> {
  const store = storeOf(ctx.app);
  const changes: { key: string; rule: RuleRecord; revision: number; priority: string }[] = [];
  for (const p of input.RulePriorities ?? []) {
    const found = await findRule(ctx, p.RuleArn!);
    if (found.rule.IsDefault) throw operationNotPermitted('The priority of the default rule cannot be changed');
    changes.push({ ...found, priority: String(checkPriority(p.Priority)) });
  }
  if (new Set(changes.map((c) => `${c.rule.ListenerArn} ${c.priority}`)).size !== changes.length) throw priorityInUse('A priority is given to more than one rule');
  for (const listenerArnValue of new Set(changes.map((c) => c.rule.ListenerArn))) {
    const others = (await store.rules.list(ctx, `${listenerArnValue.split('/').at(-1)}/`)).filter((r) => !changes.some((c) => c.rule.RuleArn === r.RuleArn));
    const clash = changes.find((c) => c.rule.ListenerArn === listenerArnValue && others.some((o) => o.Priority === c.priority));
    if (clash) throw priorityInUse(`Priority '${clash.priority}' is currently in use`);
  }
  const ok = await store.store.txn(changes.map((c) => ({ key: store.rules.key(ctx, c.key), modRevision: c.revision })),
    changes.map((c) => ({ type: 'put' as const, key: store.rules.key(ctx, c.key), value: JSON.stringify({ ...c.rule, Priority: c.priority }) })));
  if (!ok.succeeded) throw priorityInUse('The rules changed while their priorities were being set; try again');
  return { Rules: changes.map((c) => view({ ...c.rule, Priority: c.priority })) };
}

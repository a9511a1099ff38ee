// Listener and rule actions and conditions: AWS's checks, and the normal form the data plane reads
// (forward always as ForwardConfig; legacy `Values` folded into the per-field configs).
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RequestContext } from '../../context.js';
import { incompatibleProtocols, invalidAction, storeOf, tgIdOf, tgNotFound, validationError, type LoadBalancerRecord, type TargetGroupRecord } from '../model.js';

const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

export interface CheckedActions {
  actions: Action[];
  /** The target groups the actions forward to. */
  targetGroups: TargetGroupRecord[];
}

export async function checkActions(ctx: RequestContext, lb: LoadBalancerRecord, listenerProtocol: string, actions: Action[] | undefined): Promise<CheckedActions> {
  if (!actions?.length) throw validationError('At least one action must be specified');
  const out: Action[] = [];
  const tgs = new Map<string, TargetGroupRecord>();
  const orders = new Set<number>();
  const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  for (const [i, a] of sorted.entries()) {
    if (a.Order !== undefined) {
      if (a.Order < 1 || a.Order > 50000) throw validationError(`Action order '${a.Order}' must be between 1 and 50000`);
      if (orders.has(a.Order)) throw validationError(`Action order '${a.Order}' is specified more than once`);
      orders.add(a.Order);
    }
    const terminal = a.Type === 'forward' || a.Type === 'fixed-response' || a.Type === 'redirect';
    if (!terminal) throw invalidAction(`Action type '${a.Type}' is not supported by Berth`);
    if (i !== sorted.length - 1) throw invalidAction(`The action type '${a.Type}' must be the last action`);
    if (lb.Type === 'network' && a.Type !== 'forward') throw invalidAction(`Action type '${a.Type}' is not supported for network load balancers`);
    if (a.Type === 'forward') out.push(await checkForward(ctx, lb, listenerProtocol, a, tgs));
    else if (a.Type === 'fixed-response') out.push(checkFixed(a));
    else out.push(checkRedirect(a));
  }
  return { actions: out, targetGroups: [...tgs.values()] };
}

async function checkForward(ctx: RequestContext, lb: LoadBalancerRecord, listenerProtocol: string, a: Action, seen: Map<string, TargetGroupRecord>): Promise<Action> {
  const list = a.ForwardConfig?.TargetGroups ?? [];
  if (a.TargetGroupArn && list.length && !(list.length === 1 && list[0].TargetGroupArn === a.TargetGroupArn)) {
    throw validationError('You cannot specify both a target group ARN and a forward config with different target groups');
  }
  const groups = list.length ? list : a.TargetGroupArn ? [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }] : [];
  if (!groups.length) throw validationError('A target group ARN must be specified for a forward action');
  if (groups.length > 5) throw validationError('A forward action can have at most 5 target groups');
  if (lb.Type === 'network' && groups.length > 1) throw validationError('Network load balancers forward to one target group');
  const store = storeOf(ctx.app);
  for (const g of groups) {
    if (g.Weight !== undefined && (g.Weight < 0 || g.Weight > 999)) throw validationError(`Target group weight '${g.Weight}' must be between 0 and 999`);
    const id = tgIdOf(g.TargetGroupArn ?? '');
    const tg = id && await store.tgs.get(ctx, id);
    if (!tg) throw tgNotFound(`Target groups '${g.TargetGroupArn}' not found`);
    const used = tg.LoadBalancerArns?.find((x) => x !== lb.LoadBalancerArn);
    if (used) throw validationError(`The target group '${tg.TargetGroupArn}' is already associated with load balancer '${used}'`);
    const albTg = tg.Protocol === 'HTTP' || tg.Protocol === 'HTTPS';
    if ((lb.Type === 'application') !== albTg) {
      throw incompatibleProtocols(`Listener protocol '${listenerProtocol}' is not supported with a target group with the protocol '${tg.Protocol}'`);
    }
    seen.set(id, tg);
  }
  const stick = a.ForwardConfig?.TargetGroupStickinessConfig;
  if (stick?.DurationSeconds !== undefined && (stick.DurationSeconds < 1 || stick.DurationSeconds > 604800)) {
    throw validationError(`Stickiness duration '${stick.DurationSeconds}' must be between 1 and 604800 seconds`);
  }
  const forward = { TargetGroups: groups.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 })),
    TargetGroupStickinessConfig: { Enabled: stick?.Enabled ?? false, ...(stick?.Enabled ? { DurationSeconds: stick.DurationSeconds ?? 3600 } : {}) } };
  return { Type: 'forward', Order: a.Order, TargetGroupArn: groups.length === 1 ? groups[0].TargetGroupArn : undefined, ForwardConfig: forward };
}

function checkFixed(a: Action): Action {
  const c = a.FixedResponseConfig;
  if (!c?.StatusCode) throw validationError('A status code must be specified for a fixed-response action');
  if (!/^[245]\d\d$/.test(c.StatusCode)) throw validationError(`Status code '${c.StatusCode}' must be 2XX, 4XX or 5XX`);
  if (c.ContentType && !CONTENT_TYPES.includes(c.ContentType)) throw validationError(`Content type '${c.ContentType}' must be one of [${CONTENT_TYPES.join(', ')}]`);
  if ((c.MessageBody ?? '').length > 1024) throw validationError('The message body of a fixed-response action cannot be longer than 1024 characters');
  return { Type: 'fixed-response', Order: a.Order, FixedResponseConfig: { StatusCode: c.StatusCode, ContentType: c.ContentType, MessageBody: c.MessageBody } };
}

function checkRedirect(a: Action): Action {
  const c = a.RedirectConfig;
  if (!c?.StatusCode) throw validationError('A status code must be specified for a redirect action');
  if (c.Protocol && !['HTTP', 'HTTPS', '#{protocol}'].includes(c.Protocol)) throw validationError(`Redirect protocol '${c.Protocol}' must be HTTP, HTTPS or #{protocol}`);
  if (c.Path && !c.Path.startsWith('/')) throw validationError('The redirect path must start with a \'/\' character');
  return { Type: 'redirect', Order: a.Order, RedirectConfig: {
    Protocol: c.Protocol ?? '#{protocol}', Port: c.Port ?? '#{port}', Host: c.Host ?? '#{host}', Path: c.Path ?? '/#{path}', Query: c.Query ?? '#{query}', StatusCode: c.StatusCode,
  } };
}

const FIELDS = ['path-pattern', 'host-header', 'http-header', 'http-request-method', 'query-string', 'source-ip'];

export function checkConditions(lb: LoadBalancerRecord, conditions: RuleCondition[] | undefined): RuleCondition[] {
  if (lb.Type !== 'application') throw validationError('Rules are supported only by application load balancers');
  if (!conditions?.length) throw validationError('At least one condition must be specified');
  const seen = new Set<string>();
  let values = 0;
  const out = conditions.map((c): RuleCondition => {
    const field = c.Field ?? '';
    if (!FIELDS.includes(field)) throw validationError(`Condition field '${field}' must be one of [${FIELDS.join(', ')}]`);
    if (field !== 'http-header' && field !== 'query-string' && seen.has(field)) throw validationError(`Condition field '${field}' is specified more than once`);
    seen.add(field);
    const list = (given: string[] | undefined, legacy = c.Values) => {
      const v = given ?? legacy ?? [];
      if (!v.length) throw validationError(`A value must be specified for condition field '${field}'`);
      if (v.some((x) => x.length > 128)) throw validationError(`Condition value cannot be longer than 128 characters for field '${field}'`);
      values += v.length;
      return v;
    };
    switch (field) {
      case 'path-pattern': { const v = list(c.PathPatternConfig?.Values); return { Field: field, Values: v, PathPatternConfig: { Values: v } }; }
      case 'host-header': { const v = list(c.HostHeaderConfig?.Values); return { Field: field, Values: v, HostHeaderConfig: { Values: v } }; }
      case 'http-request-method': {
        const v = list(c.HttpRequestMethodConfig?.Values);
        const bad = v.find((m) => !/^[A-Z_-]+$/.test(m));
        if (bad) throw validationError(`HTTP request method '${bad}' must contain only uppercase letters, hyphens and underscores`);
        return { Field: field, HttpRequestMethodConfig: { Values: v } };
      }
      case 'source-ip': {
        const v = list(c.SourceIpConfig?.Values);
        const bad = v.find((m) => !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(m) && !/^[0-9a-f:]+\/\d{1,3}$/i.test(m));
        if (bad) throw validationError(`Source IP '${bad}' must be a CIDR block`);
        return { Field: field, SourceIpConfig: { Values: v } };
      }
      case 'http-header': {
        const name = c.HttpHeaderConfig?.HttpHeaderName;
        if (!name || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$/.test(name)) throw validationError(`HTTP header name '${name ?? ''}' is not valid`);
        return { Field: field, HttpHeaderConfig: { HttpHeaderName: name, Values: list(c.HttpHeaderConfig?.Values, []) } };
      }
      default: {
        const pairs = c.QueryStringConfig?.Values ?? [];
        if (!pairs.length || pairs.some((p) => !p.Value)) throw validationError('A value must be specified for each query-string condition');
        values += pairs.length;
        return { Field: field, QueryStringConfig: { Values: pairs.map((p) => ({ Key: p.Key, Value: p.Value })) } };
      }
    }
  });
  if (values > 5) throw validationError('A rule can have at most 5 condition values');
  return out;
}

// Rule evaluation as an ALB does it: rules in priority order (lowest first), the first whose every
// condition matches wins, else the default rule. Conditions: path-pattern and host-header with * and
// ? wildcards (case-insensitive host, case-sensitive path), http-header, http-request-method,
// query-string and source-ip. Pure functions of the request's parts, so they are tested without sockets.
import type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { BlockList, isIPv4 } from 'node:net';
import type { RuleRecord } from '../model.js';

export interface RequestFacts {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  host: string;
  headers: Record<string, string | string[] | undefined>;
  sourceIp: string;
}

const wildcardCache = new Map<string, RegExp>();
function wildcard(pattern: string, flags: string): RegExp {
  const key = `${flags}:${pattern}`;
  let re = wildcardCache.get(key);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
    if (wildcardCache.size > 10_000) wildcardCache.clear();
    wildcardCache.set(key, re);
  }
  return re;
}

const blockLists = new Map<string, BlockList>();
function inCidrs(ip: string, cidrs: string[]): boolean {
  const key = cidrs.join(',');
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const c of cidrs) {
      const [net, bits] = c.split('/');
      list.addSubnet(net, Number(bits), isIPv4(net) ? 'ipv4' : 'ipv6');
    }
    blockLists.set(key, list);
  }
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return list.check(v4, isIPv4(v4) ? 'ipv4' : 'ipv6');
}

export function conditionMatches(c: RuleCondition, r: RequestFacts): boolean {
  switch (c.Field) {
    case 'path-pattern': return (c.PathPatternConfig?.Values ?? c.Values ?? []).some((p) => wildcard(p, '').test(r.path));
    case 'host-header': {
      const host = r.host.replace(/:\d+$/, '');
      return (c.HostHeaderConfig?.Values ?? c.Values ?? []).some((p) => wildcard(p, 'i').test(host));
    }
    case 'http-request-method': return (c.HttpRequestMethodConfig?.Values ?? []).includes(r.method);
    case 'source-ip': return inCidrs(r.sourceIp, c.SourceIpConfig?.Values ?? []);
    case 'http-header': {
      const raw = r.headers[(c.HttpHeaderConfig?.HttpHeaderName ?? '').toLowerCase()];
      const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      return values.some((v) => (c.HttpHeaderConfig?.Values ?? []).some((p) => wildcard(p, 'i').test(v)));
    }
    case 'query-string': return (c.QueryStringConfig?.Values ?? []).some((kv) => {
      if (kv.Key === undefined) return [...r.query.values()].some((v) => wildcard(kv.Value!, 'i').test(v));
      return r.query.getAll(kv.Key).some((v) => wildcard(kv.Value!, 'i').test(v));
    });
    default: return false;
  }
}

/** Rules sorted for evaluation: numbered priorities ascending, the default rule last. */
export const evaluationOrder = (rules: RuleRecord[]) =>
  [...rules].sort((a, b) => (a.IsDefault ? 1 : b.IsDefault ? -1 : Number(a.Priority) - Number(b.Priority)));

/** The rule that answers a request (rules already in evaluation order). */
export function matchRule(ordered: RuleRecord[], r: RequestFacts): RuleRecord | undefined {
  for (const rule of ordered) {
    if (rule.IsDefault || (rule.Conditions ?? []).every((c) => conditionMatches(c, r))) return rule;
  }
  return undefined;
}

/** A redirect action's Location: #{protocol}, #{host}, #{port}, #{path} and #{query} are the request's. */
export function redirectLocation(cfg: { Protocol?: string; Host?: string; Port?: string; Path?: string; Query?: string },
  r: RequestFacts, protocol: string, port: number): string {
  const host = r.host.replace(/:\d+$/, '');
  const sub = (s: string) => s.replace(/#\{protocol\}/g, protocol.toLowerCase()).replace(/#\{host\}/g, host)
    .replace(/#\{port\}/g, String(port)).replace(/#\{path\}/g, r.path.replace(/^\//, '')).replace(/#\{query\}/g, r.query.toString());
  const proto = sub(cfg.Protocol ?? '#{protocol}').toLowerCase();
  const p = sub(cfg.Port ?? '#{port}');
  const defaultPort = (proto === 'https' && p === '443') || (proto === 'http' && p === '80');
  const query = sub(cfg.Query ?? '#{query}');
  return `${proto}://${sub(cfg.Host ?? '#{host}')}${defaultPort ? '' : `:${p}`}${sub(cfg.Path ?? '/#{path}')}${query ? `?${query}` : ''}`;
}

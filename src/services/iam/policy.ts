// IAM policy evaluation, a pure function of documents and one request (AWS's "policy evaluation
// logic" for a single account): an explicit Deny in any policy wins; else an Allow is needed; else
// the request is implicitly denied. Statements match on Action/NotAction (case-insensitive
// wildcards), Resource/NotResource (case-sensitive wildcards, policy variables like
// ${aws:username}), Principal/NotPrincipal (trust policies), and every Condition block.
// Condition operators: String*, Arn*, Bool, Numeric*, Date*, IpAddress/NotIpAddress (IPv4 and IPv6
// CIDR ranges or single addresses), Null, with …IfExists, and the ForAnyValue:/ForAllValues: set
// qualifiers.

import { BlockList, isIP } from 'node:net';

export type Effect = 'Allow' | 'Deny';
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

type OneOrMany<T> = T | T[];
export interface Statement {
  Sid?: string;
  Effect: Effect;
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Principal?: '*' | Record<string, OneOrMany<string>>;
  NotPrincipal?: Record<string, OneOrMany<string>>;
  Condition?: Record<string, Record<string, OneOrMany<string | number | boolean>>>;
}
export interface PolicyDocument { Version?: string; Statement: OneOrMany<Statement> }

/** Request context keys: a string or a multi-valued list; absent keys are undefined. */
export type ContextValues = Record<string, string | string[] | undefined>;

export interface PolicyRequest {
  action: string;
  resource: string;
  context: ContextValues;
  /** Trust policies: the caller as principal type → identifiers it matches (AWS: ARN and account). */
  principal?: Record<string, string[]>;
}

const list = <T>(v: OneOrMany<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const patternCache = new Map<string, RegExp>();
/** `*` and `?` wildcards; case-insensitive for actions. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = patternCache.get(key);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(key, re);
  }
  return re.test(value);
}

/** ${aws:username} and friends, from the request context (unknown variables match nothing). */
function substitute(pattern: string, context: ContextValues): string {
  if (!pattern.includes('${')) return pattern;
  return pattern.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name;
    const v = context[name];
    return typeof v === 'string' ? v : '\u0000';
  });
}

function matchesAction(st: Statement, action: string): boolean {
  if (st.Action !== undefined) return list(st.Action).some((p) => wildcard(p, action, true));
  if (st.NotAction !== undefined) return !list(st.NotAction).some((p) => wildcard(p, action, true));
  return false;
}

function matchesResource(st: Statement, req: PolicyRequest): boolean {
  const test = (p: string) => wildcard(substitute(p, req.context), req.resource);
  if (st.Resource !== undefined) return list(st.Resource).some(test);
  if (st.NotResource !== undefined) return !list(st.NotResource).some(test);
  // Trust policies have no Resource: the role is the resource.
  return st.Principal !== undefined || st.NotPrincipal !== undefined;
}

function matchesPrincipal(st: Statement, req: PolicyRequest): boolean {
  const caller = req.principal;
  const named = (spec: '*' | Record<string, OneOrMany<string>>) => {
    if (spec === '*') return true;
    return Object.entries(spec).some(([type, ids]) => list(ids).some((id) => id === '*' || (caller?.[type] ?? []).some((c) => wildcard(id, c))));
  };
  if (st.Principal !== undefined) return caller !== undefined && named(st.Principal);
  if (st.NotPrincipal !== undefined) return caller === undefined || !named(st.NotPrincipal);
  return true;
}

// ---- conditions ----
type Compare = (policyValue: string, requestValue: string) => boolean;

const toDate = (v: string) => (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v));
const numeric = (f: (a: number, b: number) => boolean): Compare => (p, r) => !Number.isNaN(Number(r)) && f(Number(r), Number(p));
const dated = (f: (a: number, b: number) => boolean): Compare => (p, r) => !Number.isNaN(toDate(r)) && f(toDate(r), toDate(p));

/** Positive operators; the negated ones are the complement of these. */
const OPERATORS: Record<string, Compare> = {
  StringEquals: (p, r) => p === r,
  StringEqualsIgnoreCase: (p, r) => p.toLowerCase() === r.toLowerCase(),
  StringLike: (p, r) => wildcard(p, r),
  ArnEquals: (p, r) => arnLike(p, r),
  ArnLike: (p, r) => arnLike(p, r),
  Bool: (p, r) => p.toLowerCase() === r.toLowerCase(),
  NumericEquals: numeric((a, b) => a === b),
  NumericLessThan: numeric((a, b) => a < b),
  NumericLessThanEquals: numeric((a, b) => a <= b),
  NumericGreaterThan: numeric((a, b) => a > b),
  NumericGreaterThanEquals: numeric((a, b) => a >= b),
  DateEquals: dated((a, b) => a === b),
  DateLessThan: dated((a, b) => a < b),
  DateLessThanEquals: dated((a, b) => a <= b),
  DateGreaterThan: dated((a, b) => a > b),
  DateGreaterThanEquals: dated((a, b) => a >= b),
  IpAddress: (p, r) => inRange(p, r),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals', StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase', StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals', ArnNotLike: 'ArnLike', NumericNotEquals: 'NumericEquals', DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
};

/** An IPv4-mapped IPv6 address (::ffff:10.1.2.3, what a dual-stack socket reports) as IPv4. */
export const plainIp = (address: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address);

/** Whether `address` is in `range` (CIDR, or one address); false when either is not an IP. */
function inRange(range: string, address: string): boolean {
  const ip = plainIp(address.trim());
  const family = isIP(ip);
  const [net, bits, extra] = range.trim().split('/');
  const netFamily = isIP(net);
  if (!family || family !== netFamily || extra !== undefined) return false;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return list.check(ip, type);
}

/** ARN matching: each of the six colon-separated parts matched with wildcards. */
function arnLike(pattern: string, value: string): boolean {
  const p = pattern.split(':');
  const v = value.split(':');
  if (p.length < 6 || v.length < 6) return false;
  const pr = p.slice(5).join(':');
  const vr = v.slice(5).join(':');
  return p.slice(0, 5).every((part, i) => wildcard(part, v[i])) && wildcard(pr, vr);
}

export class UnknownConditionOperator extends Error {}

function conditionHolds(operatorName: string, key: string, values: string[], context: ContextValues): boolean {
  let op = operatorName;
  let set: 'any' | 'all' | undefined;
  if (op.startsWith('ForAnyValue:')) { set = 'any'; op = op.slice('ForAnyValue:'.length); }
  else if (op.startsWith('ForAllValues:')) { set = 'all'; op = op.slice('ForAllValues:'.length); }
  const ifExists = op.endsWith('IfExists');
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  const raw = context[key];
  const present = raw !== undefined && !(Array.isArray(raw) && raw.length === 0);
  if (op === 'Null') return values.some((v) => (v.toLowerCase() === 'true') === !present);
  if (!present) {
    if (ifExists) return true;
    if (set === 'all') return true;
    return op in NEGATED;
  }
  const requestValues = Array.isArray(raw) ? raw : [raw];
  const negated = NEGATED[op];
  const compare = OPERATORS[negated ?? op];
  if (!compare) throw new UnknownConditionOperator(`Unknown condition operator ${operatorName}`);
  const one = (r: string) => {
    const hit = values.some((p) => compare(substitute(p, context), r));
    return negated ? !hit : hit;
  };
  if (set === 'all') return requestValues.every(one);
  if (negated && set !== 'any') return requestValues.every(one);
  return requestValues.some(one);
}

function conditionsHold(st: Statement, context: ContextValues): boolean {
  for (const [operator, block] of Object.entries(st.Condition ?? {})) {
    for (const [key, values] of Object.entries(block)) {
      if (!conditionHolds(operator, key, list(values).map(String), context)) return false;
    }
  }
  return true;
}

export function statementApplies(st: Statement, req: PolicyRequest): boolean {
  return matchesAction(st, req.action) && matchesResource(st, req) && matchesPrincipal(st, req) && conditionsHold(st, req.context);
}

/** The decision of a set of policies for one request. */
export function evaluate(policies: readonly PolicyDocument[], req: PolicyRequest): Decision {
  let allowed = false;
  for (const policy of policies) {
    for (const st of list(policy.Statement)) {
      if (!statementApplies(st, req)) continue;
      if (st.Effect === 'Deny') return 'ExplicitDeny';
      if (st.Effect === 'Allow') allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

/** Parses a stored document (validated when it was put). */
export function parsePolicy(text: string): PolicyDocument {
  return JSON.parse(text) as PolicyDocument;
}

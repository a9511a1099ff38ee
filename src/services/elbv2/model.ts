// ELBv2's records over the store and the names that find them. Keys live under
// /elasticloadbalancing/<account>/<region>/<kind>/…; children sit under their parent's id so a
// read touches only what it returns (listeners of one load balancer, rules of one listener,
// targets of one target group).
import type { Listener, LoadBalancer, Rule, Tag, TargetGroup, TargetHealthStateEnum } from '@aws-sdk/client-elastic-load-balancing-v2';
import { arn, parseArn } from '../../common/arn.js';
import { AwsError } from '../../common/errors.js';
import { Records, type Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';

export const SVC = 'elasticloadbalancing';

export interface LoadBalancerRecord extends LoadBalancer {
  LoadBalancerArn: string;
  LoadBalancerName: string;
  Type: 'application' | 'network' | 'gateway';
  /** The loopback address the data plane listens on (also the DNSName). */
  Address: string;
  Attributes: Record<string, string>;
  Tags: Tag[];
}

export interface TargetGroupRecord extends TargetGroup {
  TargetGroupArn: string;
  TargetGroupName: string;
  Attributes: Record<string, string>;
  Tags: Tag[];
}

export interface ListenerRecord extends Listener {
  ListenerArn: string;
  LoadBalancerArn: string;
  Port: number;
  Tags: Tag[];
}

export interface RuleRecord extends Rule {
  RuleArn: string;
  ListenerArn: string;
  /** 'default' or a number as a string, as AWS shows it. */
  Priority: string;
  Tags: Tag[];
}

/** A registered target and its health, as the health checker last saw it. */
export interface TargetRecord {
  Id: string;
  Port: number;
  AvailabilityZone?: string;
  /** Where the data plane connects: the IP for ip targets; the instance's address for instance targets. */
  Address?: string;
  State: TargetHealthStateEnum;
  Reason?: string;
  Description?: string;
  RegisteredAt: string;
  /** Set while draining: when the target is removed. */
  DrainUntil?: string;
}

export class ElbStore {
  readonly lbs: Records<LoadBalancerRecord>;
  readonly lbNames: Records<string>;
  readonly tgs: Records<TargetGroupRecord>;
  readonly tgNames: Records<string>;
  readonly listeners: Records<ListenerRecord>;
  readonly rules: Records<RuleRecord>;
  readonly targets: Records<TargetRecord>;

  constructor(readonly store: Store) {
    this.lbs = new Records(store, SVC, 'lb');
    this.lbNames = new Records(store, SVC, 'lb-name');
    this.tgs = new Records(store, SVC, 'tg');
    this.tgNames = new Records(store, SVC, 'tg-name');
    this.listeners = new Records(store, SVC, 'listener');
    this.rules = new Records(store, SVC, 'rule');
    this.targets = new Records(store, SVC, 'target');
  }
}

export const storeOf = (app: { store: Store }) => new ElbStore(app.store);

// ---- ARNs and ids ----

export const lbTypeCode = (type: string) => (type === 'network' ? 'net' : type === 'gateway' ? 'gwy' : 'app');

export const lbArn = (scope: Scope, type: string, name: string, id: string) =>
  arn(SVC, scope.region, scope.account, `loadbalancer/${lbTypeCode(type)}/${name}/${id}`);
export const tgArn = (scope: Scope, name: string, id: string) => arn(SVC, scope.region, scope.account, `targetgroup/${name}/${id}`);
export const listenerArn = (lb: LoadBalancerRecord, id: string) =>
  lb.LoadBalancerArn.replace(':loadbalancer/', ':listener/') + `/${id}`;
export const ruleArn = (listener: ListenerRecord, id: string) => listener.ListenerArn.replace(':listener/', ':listener-rule/') + `/${id}`;

/** The last path segment of an ARN of the given resource kind, or undefined when it is not one. */
function idOf(value: string, kind: string, segments: number): string | undefined {
  const parsed = parseArn(value);
  if (!parsed || parsed.service !== SVC) return undefined;
  const parts = parsed.resource.split('/');
  if (parts[0] !== kind || parts.length !== segments) return undefined;
  return parts.at(-1);
}

/** `lbId` of a load balancer ARN (…:loadbalancer/app/name/<lbId>). */
export const lbIdOf = (value: string) => idOf(value, 'loadbalancer', 4);
export const tgIdOf = (value: string) => idOf(value, 'targetgroup', 3);
/** `<lbId>/<listenerId>` of a listener ARN. */
export function listenerKeyOf(value: string): string | undefined {
  const parsed = parseArn(value);
  const parts = parsed?.resource.split('/') ?? [];
  return parsed?.service === SVC && parts[0] === 'listener' && parts.length === 5 ? `${parts[3]}/${parts[4]}` : undefined;
}
/** `<listenerId>/<ruleId>` of a rule ARN. */
export function ruleKeyOf(value: string): string | undefined {
  const parsed = parseArn(value);
  const parts = parsed?.resource.split('/') ?? [];
  return parsed?.service === SVC && parts[0] === 'listener-rule' && parts.length === 6 ? `${parts[4]}/${parts[5]}` : undefined;
}

export const targetKey = (id: string, port: number) => `${id}:${port}`;

// ---- errors (AWS's codes; ELBv2 answers 400 for all of them) ----

const error = (code: string) => (message: string) => new AwsError(code, message, 400);
export const validationError = error('ValidationError');
export const lbNotFound = (what = 'One or more load balancers not found') => error('LoadBalancerNotFound')(what);
export const tgNotFound = (what = 'One or more target groups not found') => error('TargetGroupNotFound')(what);
export const listenerNotFound = (what = 'One or more listeners not found') => error('ListenerNotFound')(what);
export const ruleNotFound = (what = 'One or more rules not found') => error('RuleNotFound')(what);
export const invalidConfig = error('InvalidConfigurationRequest');
export const invalidTarget = error('InvalidTarget');
export const duplicateLbName = error('DuplicateLoadBalancerName');
export const duplicateTgName = error('DuplicateTargetGroupName');
export const duplicateListener = error('DuplicateListener');
export const priorityInUse = error('PriorityInUse');
export const resourceInUse = error('ResourceInUse');
export const operationNotPermitted = error('OperationNotPermitted');
export const incompatibleProtocols = error('IncompatibleProtocols');
export const unsupportedProtocol = error('UnsupportedProtocol');
export const duplicateTagKeys = error('DuplicateTagKeys');
export const tooManyTags = error('TooManyTags');
export const invalidAction = error('InvalidLoadBalancerAction');

/** Names of load balancers and target groups: 1–32 alphanumerics or hyphens, not starting or
 *  ending with a hyphen; a load balancer's may not start with "internal-". */
export function checkName(name: string, kind: 'load balancer' | 'target group') {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name)) {
    throw validationError(`The ${kind} name '${name}' cannot be longer than '32' characters, must contain only alphanumeric `
      + 'characters or hyphens, and cannot begin or end with a hyphen');
  }
  if (kind === 'load balancer' && name.startsWith('internal-')) throw validationError(`Load balancer name '${name}' cannot begin with 'internal-'`);
}

export function checkTags(tags: Tag[] | undefined): Tag[] {
  const list = tags ?? [];
  const keys = new Set<string>();
  for (const t of list) {
    if (!t.Key) throw validationError('A tag key is required');
    if (keys.has(t.Key)) throw duplicateTagKeys(`Tag key '${t.Key}' specified more than once`);
    keys.add(t.Key);
  }
  if (list.length > 50) throw tooManyTags('The quota for the number of tags per resource has been reached (50)');
  return list.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
}

export const nowIso = (app: { clock: { now(): Date } }) => app.clock.now().toISOString();

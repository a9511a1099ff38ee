// Each operation's IAM action, resource ARNs and request condition keys, after the AWS Service
// Authorization Reference. ECS is mapped operation by operation (cluster, task definition, task,
// service and container instance ARNs, the ecs:cluster condition key, iam:PassRole for task and
// execution roles); IAM by the entity the call names; any other service by the top-level *Arn
// members of its input, else "*".
import type { RequestContext } from '../context.js';
import type { ContextValues } from './policy.js';

/** IAM's service prefix for a Berth service name, where they differ. */
const PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };
export const actionPrefix = (service: string) => PREFIX[service] ?? service;

export interface ActionRequest {
  action: string;
  resources: string[];
  context: ContextValues;
  /** Roles the call hands to a service (iam:PassRole is checked on each). */
  passRoles: Array<{ arn: string; toService: string }>;
}

type Input = Readonly<Record<string, unknown>>;
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Operations no identity policy governs (AWS: GetCallerIdentity and GetSessionToken need no
 *  permission; AssumeRole is decided by its handler against the role's trust policy, and for a
 *  service principal such as ecs-tasks.amazonaws.com by the trust policy alone). */
export const UNGOVERNED = new Set(['sts:GetCallerIdentity', 'sts:GetSessionToken', 'sts:AssumeRole']);

function ecs(ctx: RequestContext, input: Input) {
  const base = `arn:aws:ecs:${ctx.region}:${ctx.account}:`;
  const clusterName = (v: unknown) => {
    const s = str(v) ?? 'default';
    return s.startsWith('arn:') ? s.slice(s.lastIndexOf('/') + 1) : s;
  };
  const clusterArn = (v: unknown) => { const s = str(v); return s?.startsWith('arn:') ? s : `${base}cluster/${clusterName(v)}`; };
  const scoped = (kind: string, v: string, cluster: unknown) => (v.startsWith('arn:') ? v : `${base}${kind}/${clusterName(cluster)}/${v}`);
  const taskDefinition = (v: unknown) => {
    const s = str(v) ?? '';
    return s.startsWith('arn:') ? s : `${base}task-definition/${s.includes(':') ? s : `${s}:*`}`;
  };
  const cluster = clusterArn(input.cluster);
  const op = ctx.operation;
  let resources: string[] = ['*'];
  switch (op) {
    case 'CreateCluster': resources = [`${base}cluster/${str(input.clusterName) ?? 'default'}`]; break;
    case 'DescribeClusters': resources = strs(input.clusters).length ? strs(input.clusters).map(clusterArn) : [clusterArn(undefined)]; break;
    case 'DeleteCluster': case 'UpdateCluster': case 'UpdateClusterSettings': case 'PutClusterCapacityProviders':
    case 'RegisterContainerInstance': case 'DiscoverPollEndpoint': case 'SubmitTaskStateChange': case 'SubmitContainerStateChange':
    case 'SubmitAttachmentStateChanges': case 'ListContainerInstances': case 'ListTasks': case 'ListServices': case 'PutAttributes':
    case 'DeleteAttributes': case 'ListAttributes': case 'ListServicesByNamespace': case 'Poll': case 'StartTelemetrySession':
      resources = [cluster]; break;
    case 'RunTask': case 'StartTask': resources = [taskDefinition(input.taskDefinition)]; break;
    case 'StopTask': resources = [scoped('task', str(input.task) ?? '', input.cluster)]; break;
    case 'DescribeTasks': resources = strs(input.tasks).map((t) => scoped('task', t, input.cluster)); break;
    case 'CreateService': resources = [scoped('service', str(input.serviceName) ?? '', input.cluster)]; break;
    case 'UpdateService': case 'DeleteService': resources = [scoped('service', str(input.service) ?? '', input.cluster)]; break;
    case 'DescribeServices': resources = strs(input.services).map((s) => scoped('service', s, input.cluster)); break;
    case 'DescribeContainerInstances': case 'UpdateContainerInstancesState':
      resources = strs(input.containerInstances).map((c) => scoped('container-instance', c, input.cluster)); break;
    case 'DeregisterContainerInstance': case 'UpdateContainerAgent':
      resources = [scoped('container-instance', str(input.containerInstance) ?? '', input.cluster)]; break;
    case 'TagResource': case 'UntagResource': case 'ListTagsForResource': resources = [str(input.resourceArn) ?? '*']; break;
    default: break;
  }
  const overrides = (input.overrides ?? {}) as Input;
  const passRoles = [input.taskRoleArn, input.executionRoleArn, overrides.taskRoleArn, overrides.executionRoleArn]
    .map(str).filter((a): a is string => !!a).map((arn) => ({ arn, toService: 'ecs-tasks.amazonaws.com' }));
  const role = str(input.role);
  if (role && (op === 'CreateService' || op === 'UpdateService')) passRoles.push({ arn: role.startsWith('arn:') ? role : `arn:aws:iam::${ctx.account}:role/${role}`, toService: 'ecs.amazonaws.com' });
  const hasCluster = op !== 'ListClusters' && op !== 'CreateCluster' && !op.includes('TaskDefinition') && !op.includes('CapacityProvider') && !op.includes('AccountSetting');
  return { resources: resources.length ? resources : ['*'], context: hasCluster ? { 'ecs:cluster': cluster } : {}, passRoles };
}

function iam(ctx: RequestContext, input: Input) {
  const base = `arn:aws:iam::${ctx.account}:`;
  const policy = str(input.PolicyArn);
  for (const [field, kind] of [['RoleName', 'role'], ['UserName', 'user'], ['GroupName', 'group'], ['InstanceProfileName', 'instance-profile']] as const) {
    const name = str(input[field]);
    if (name) return [`${base}${kind}/${name}`];
  }
  if (policy) return [policy];
  if (ctx.operation === 'CreatePolicy' && str(input.PolicyName)) return [`${base}policy${str(input.Path) ?? '/'}${str(input.PolicyName)}`];
  return ['*'];
}

/** Tags a request sets (aws:RequestTag/…, aws:TagKeys): ECS {key, value} or IAM/others {Key, Value}. */
function requestTags(input: Input): ContextValues {
  const tags = (input.tags ?? input.Tags) as unknown;
  if (!Array.isArray(tags)) return {};
  const out: ContextValues = {};
  const keys: string[] = [];
  for (const t of tags as Array<Record<string, unknown>>) {
    const k = str(t.key) ?? str(t.Key);
    if (!k) continue;
    keys.push(k);
    out[`aws:RequestTag/${k}`] = String(t.value ?? t.Value ?? '');
  }
  out['aws:TagKeys'] = keys;
  return out;
}

export function actionRequest(ctx: RequestContext, input: Input): ActionRequest {
  const action = `${actionPrefix(ctx.service)}:${ctx.operation}`;
  let resources = ['*'];
  let context: ContextValues = {};
  let passRoles: ActionRequest['passRoles'] = [];
  if (ctx.service === 'ecs') ({ resources, context, passRoles } = ecs(ctx, input));
  else if (ctx.service === 'iam') resources = iam(ctx, input);
  else {
    const arns = Object.entries(input).filter(([k, v]) => /Arns?$|ARN$/.test(k) && (typeof v === 'string' || Array.isArray(v)))
      .flatMap(([, v]) => (Array.isArray(v) ? strs(v) : [v as string])).filter((v) => v.startsWith('arn:'));
    if (arns.length) resources = arns;
  }
  return { action, resources, context: { ...context, ...requestTags(input) }, passRoles };
}

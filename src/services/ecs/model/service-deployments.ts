// The newer service-deployment API over the same records: ListServiceDeployments (newest first),
// DescribeServiceDeployments and DescribeServiceRevisions (by ARN, MISSING failures for unknown
// ones). Each classic deployment is a service deployment targeting its own service revision; a
// circuit-breaker rollback belongs to the deployment it undoes (ROLLBACK_IN_PROGRESS → …).
import type {
  DescribeServiceDeploymentsRequest, DescribeServiceDeploymentsResponse, DescribeServiceRevisionsRequest,
  DescribeServiceRevisionsResponse, Failure, ListServiceDeploymentsRequest, ListServiceDeploymentsResponse, ServiceDeployment,
  ServiceRevision,
} from '@aws-sdk/client-ecs';
import { paginate } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import { activeCluster, invalidParameter } from './common.js';
import { parseChildArn, serviceKey, type DeploymentRecord, type ServiceRecord } from './service-model.js';
import { findService, serviceNotFound, services, serviceTasks } from './service-store.js';
import {
  renderServiceDeployment, renderServiceDeploymentBrief, renderServiceRevision, serviceDeployments,
} from './service-view.js';
import { findTaskDefinition, parseTaskDefinitionRef } from './task-definition-lookup.js';

const time = (v: Date | string | undefined) => (v === undefined ? undefined : new Date(v).getTime());

export async function listServiceDeployments(input: ListServiceDeploymentsRequest, ctx: RequestContext): Promise<ListServiceDeploymentsResponse> {
  const cluster = await activeCluster(ctx, input.cluster);
  const found = await findService(ctx, cluster.clusterName!, input.service);
  if (!found) throw serviceNotFound();
  const s = found.value;
  if (input.maxResults !== undefined && (input.maxResults < 1 || input.maxResults > 100)) {
    throw invalidParameter(`maxResults must be between 1 and 100, but was ${input.maxResults}`);
  }
  const before = time(input.createdAt?.before);
  const after = time(input.createdAt?.after);
  const wanted = serviceDeployments(s).filter((d) => {
    const created = Date.parse(d.createdAt);
    return (!input.status?.length || input.status.includes(d.deploymentStatus))
      && (before === undefined || created <= before) && (after === undefined || created >= after);
  });
  // Keys that sort newest first and stay put when newer deployments arrive (stable pagination).
  const keyOf = (d: DeploymentRecord) => `/${String(9e15 - Date.parse(d.createdAt)).padStart(16, '0')}/${d.serviceDeploymentId}`;
  const sorted = [...wanted].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const { page, nextToken } = paginate(sorted, keyOf, input.maxResults ?? 20, input.nextToken);
  return { serviceDeployments: page.map((d) => renderServiceDeploymentBrief(ctx, s, d)), nextToken };
}

/** The service an ARN of this account and region points into, and the named child; undefined if none. */
async function lookup(ctx: RequestContext, kind: 'service-deployment' | 'service-revision', arn: string):
  Promise<{ service: ServiceRecord; deployment: DeploymentRecord } | undefined> {
  const parsed = parseChildArn(kind, arn);
  if (!parsed || parsed.scope.account !== ctx.account || parsed.scope.region !== ctx.region) return undefined;
  const service = await services(ctx).get(ctx, serviceKey(parsed.cluster, parsed.service));
  const deployment = service && (kind === 'service-deployment'
    ? serviceDeployments(service).find((d) => d.serviceDeploymentId === parsed.id)
    : service.deployments.find((d) => d.serviceRevisionId === parsed.id));
  return service && deployment ? { service, deployment } : undefined;
}

function checkArns(arns: string[] | undefined, what: string): string[] {
  const list = arns ?? [];
  if (list.length === 0) throw invalidParameter(`${what} cannot be empty.`);
  if (list.length > 20) throw invalidParameter(`${what} can have at most 20 items, but had ${list.length}.`);
  return list;
}

export async function describeServiceDeployments(input: DescribeServiceDeploymentsRequest, ctx: RequestContext): Promise<DescribeServiceDeploymentsResponse> {
  const out: ServiceDeployment[] = [];
  const failures: Failure[] = [];
  for (const arn of checkArns(input.serviceDeploymentArns, 'serviceDeploymentArns')) {
    const found = await lookup(ctx, 'service-deployment', arn);
    if (!found) { failures.push({ arn, reason: 'MISSING' }); continue; }
    out.push(renderServiceDeployment(ctx, found.service, found.deployment, await serviceTasks(ctx, found.service)));
  }
  return { serviceDeployments: out, failures };
}

export async function describeServiceRevisions(input: DescribeServiceRevisionsRequest, ctx: RequestContext): Promise<DescribeServiceRevisionsResponse> {
  const out: ServiceRevision[] = [];
  const failures: Failure[] = [];
  for (const arn of checkArns(input.serviceRevisionArns, 'serviceRevisionArns')) {
    const found = await lookup(ctx, 'service-revision', arn);
    if (!found) { failures.push({ arn, reason: 'MISSING' }); continue; }
    const ref = parseTaskDefinitionRef(found.deployment.taskDefinition);
    const def = ref && await findTaskDefinition(ctx, ref);
    out.push(renderServiceRevision(ctx, found.service, found.deployment, def));
  }
  return { serviceRevisions: out, failures };
}

// Resource ARN → the stored record that carries its tags (the record's `tags` member), for
// TagResource, UntagResource and ListTagsForResource. Taggable: clusters, task definitions,
// container instances, tasks, services (long ARN formats) and capacity providers.
import type { Tag } from '@aws-sdk/client-ecs';
import { parseArn } from '../../../common/arn.js';
import { AwsError } from '../../../common/errors.js';
import { Records } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';
import { clusterNotFound, db, invalidParameter } from './common.js';

/** What every taggable record has in common. */
export interface Tagged { tags?: Tag[]; status?: string }

export interface TagTarget {
  records: Records<Tagged>;
  id: string;
  /** Throws AWS's error when the record cannot be tagged (absent, deleted). */
  check(record: Tagged | undefined): asserts record is Tagged;
}

export const resourceNotFound = (arn: string) => new AwsError('ResourceNotFoundException', `The specified resource wasn't found: ${arn}`);
const inactiveCluster = () => invalidParameter('The specified cluster is inactive. Specify an active cluster and try again.');

const FAMILY = /^([a-zA-Z0-9_-]{1,255}):([1-9]\d{0,9})$/;

export async function resolveTarget(ctx: RequestContext, resourceArn: string): Promise<TagTarget> {
  const parsed = parseArn(resourceArn);
  if (!parsed || parsed.service !== 'ecs') throw invalidParameter(`The ARN provided is invalid: ${resourceArn}`);
  if (parsed.account !== ctx.account || parsed.region !== ctx.region) {
    throw invalidParameter(`The ARN ${resourceArn} is not in this account and region (${ctx.account}, ${ctx.region}).`);
  }
  const [kind, ...rest] = parsed.resource.split('/');
  const d = db(ctx);
  const on = (r: { svc: string; kind: string }) => new Records<Tagged>(ctx.app.store, r.svc, r.kind);
  const exists = (record: Tagged | undefined): asserts record is Tagged => { if (!record) throw resourceNotFound(resourceArn); };

  switch (kind) {
    case 'cluster': {
      if (rest.length !== 1 || !rest[0]) break;
      return { records: on(d.clusters), id: rest[0], check: (record) => {
        if (!record) throw clusterNotFound();
        if (record.status !== 'ACTIVE') throw inactiveCluster();
      } };
    }
    case 'task-definition': {
      const m = rest.length === 1 ? FAMILY.exec(rest[0]) : null;
      if (!m) break;
      return { records: on(d.taskDefinitions), id: `${m[1]}/${m[2].padStart(10, '0')}`, check: exists };
    }
    case 'container-instance':
    case 'task':
    case 'service': {
      if (rest.length === 1) {
        throw invalidParameter(`The ${kind} ARN ${resourceArn} uses the short ARN format; tagging needs the long format `
          + `(${kind}/<cluster>/<id>). Migrate the resource to the long ARN format and try again.`);
      }
      if (rest.length !== 2 || !rest[0] || !rest[1]) break;
      const cluster = await d.clusters.get(ctx, rest[0]);
      if (!cluster) throw clusterNotFound();
      if (cluster.status !== 'ACTIVE') throw inactiveCluster();
      const records = kind === 'service' ? d.services : kind === 'task' ? d.tasks : d.containerInstances;
      return { records: on(records), id: `${rest[0]}/${rest[1]}`, check: exists };
    }
    case 'capacity-provider': {
      if (rest.length !== 1 || !rest[0]) break;
      if (rest[0] === 'FARGATE' || rest[0] === 'FARGATE_SPOT') {
        throw invalidParameter(`The ${rest[0]} capacity provider is managed by AWS and cannot be tagged.`);
      }
      return { records: on(d.capacityProviders), id: rest[0], check: (record) => {
        if (!record || record.status === 'INACTIVE') throw resourceNotFound(resourceArn);
      } };
    }
    default:
  }
  throw invalidParameter(`The ARN provided is invalid: ${resourceArn}. Taggable resources are capacity providers, clusters, `
    + 'container instances, services, tasks and task definitions.');
}

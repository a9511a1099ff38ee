// The service API through a real server and the real SDK client (no agents here: the scheduler
// runs, but no container instance is registered, so no task ever starts).
import {
  CreateClusterCommand, CreateServiceCommand, DeleteClusterCommand, DeleteServiceCommand, DescribeClustersCommand,
  DescribeServiceDeploymentsCommand, DescribeServiceRevisionsCommand, DescribeServicesCommand, ListServiceDeploymentsCommand,
  ListServicesByNamespaceCommand, ListServicesCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { describeService, eventually, eventsOf } from '../../../testing/service-test-kit.js';
import { startHarness, type Harness } from '../../../testing/harness.js';

const ARN = 'arn:aws:ecs:us-east-1:000000000000';

describe('ECS services (API)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ config: { ecs: { scheduler: { intervalMs: 50 } } } }); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'c' }));
    for (const image of ['busybox:1', 'busybox:2']) {
      await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'app', image, memory: 64 }] }));
    }
  });
  const create = (input: Record<string, unknown> = {}) =>
    h.ecs.send(new CreateServiceCommand({ cluster: 'c', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 2, ...input }));

  it('creates a service and describes it with ECS defaults, MISSING for unknown ones', async () => {
    const out = (await create({ tags: [{ key: 'team', value: 'a' }] })).service!;
    assert.equal(out.serviceArn, `${ARN}:service/c/web`);
    assert.deepEqual([out.status, out.desiredCount, out.runningCount, out.pendingCount, out.launchType, out.schedulingStrategy],
      ['ACTIVE', 2, 0, 0, 'EC2', 'REPLICA']);
    assert.deepEqual(out.deploymentConfiguration, {
      deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 });
    assert.equal(out.deployments?.length, 1);
    const [d] = out.deployments!;
    assert.match(d.id!, /^ecs-svc\/\d{19}$/);
    assert.deepEqual([d.status, d.taskDefinition, d.desiredCount, d.rolloutState, d.rolloutStateReason],
      ['PRIMARY', `${ARN}:task-definition/web:1`, 2, 'IN_PROGRESS', `ECS deployment ${d.id} in progress.`]);
    assert.deepEqual(out.tags, [{ key: 'team', value: 'a' }]);
    assert.match(out.currentServiceDeployment!, new RegExp(`^${ARN}:service-deployment/c/web/\\w+$`));
    const described = await h.ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['web', 'nope', `${ARN}:service/c/web`] }));
    assert.equal(described.services?.length, 2);
    assert.equal(described.services?.[0].tags, undefined, 'tags only with include TAGS');
    // A bare unknown name: service/<name>, no cluster segment (as AWS answers).
    assert.deepEqual(described.failures, [{ arn: `${ARN}:service/nope`, reason: 'MISSING' }]);
  });

  it('refuses what ECS refuses, in its words', async () => {
    const refused = async (input: Record<string, unknown>, name: string, message?: RegExp) =>
      assert.rejects(create(input), (e: Error) => e.name === name && (!message || message.test(e.message)));
    await refused({ serviceName: 'bad name!' }, 'InvalidParameterException');
    await refused({ desiredCount: undefined }, 'InvalidParameterException', /desiredCount/);
    await refused({ schedulingStrategy: 'DAEMON' }, 'InvalidParameterException',
      /^The daemon scheduling strategy does not support a desired count for services\. Remove the desired count value and try again$/);
    await refused({ schedulingStrategy: 'DAEMON', desiredCount: undefined, placementStrategy: [{ type: 'binpack', field: 'memory' }] },
      'InvalidParameterException', /Placement strategies/);
    await refused({ deploymentConfiguration: { minimumHealthyPercent: 150 } }, 'InvalidParameterException', /minimumHealthyPercent/);
    await refused({ placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ==' }] }, 'InvalidParameterException');
    await refused({ taskDefinition: 'nope:1' }, 'ClientException', /TaskDefinition not found/);
    await refused({ cluster: 'nope' }, 'ClusterNotFoundException');
    await refused({ launchType: 'FARGATE' }, 'InvalidParameterException', /FARGATE/);
    await create({ clientToken: 'token-1' });
    await refused({}, 'InvalidParameterException', /^Creation of service was not idempotent\.$/);
    const again = await create({ clientToken: 'token-1' });
    assert.equal(again.service?.serviceArn, `${ARN}:service/c/web`, 'the same client token returns the service');
  });

  it('starts a new deployment only for changes AWS documents as triggering one', async () => {
    await create();
    const update = async (input: Record<string, unknown>) =>
      (await h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', ...input }))).service!;
    const ids = (s: { deployments?: { id?: string; status?: string }[] }) => s.deployments!.map((d) => `${d.status}`);
    assert.deepEqual(ids(await update({ desiredCount: 3 })), ['PRIMARY']);
    assert.deepEqual(ids(await update({ placementStrategy: [{ type: 'binpack', field: 'memory' }] })), ['PRIMARY']);
    assert.deepEqual(ids(await update({ deploymentConfiguration: { minimumHealthyPercent: 50 } })), ['PRIMARY']);
    assert.deepEqual(ids(await update({ taskDefinition: 'web:1' })), ['PRIMARY'], 'the same task definition is no change');
    const changed = await update({ taskDefinition: 'web:2' });
    assert.deepEqual(ids(changed), ['PRIMARY', 'ACTIVE']);
    assert.equal(changed.taskDefinition, `${ARN}:task-definition/web:2`);
    assert.equal(changed.desiredCount, 3);
    assert.deepEqual(changed.deploymentConfiguration?.minimumHealthyPercent, 50);
    assert.deepEqual(changed.placementStrategy, [{ type: 'binpack', field: 'memory' }]);
    // (Older deployments without tasks leave the list as soon as the scheduler sees them: no instance here.)
    const forced = await update({ forceNewDeployment: true });
    assert.equal(forced.deployments![0].status, 'PRIMARY');
    assert.notEqual(forced.deployments![0].id, changed.deployments![0].id);
    const history = (await h.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'c', service: 'web' }))).serviceDeployments!;
    assert.deepEqual(history.map((d) => d.status), ['IN_PROGRESS', 'STOPPED', 'STOPPED']);
    await assert.rejects(h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'nope', desiredCount: 1 })), { name: 'ServiceNotFoundException' });
  });

  it('deletes: force needed above 0, DRAINING, then INACTIVE once no task is left; the name can be reused', async () => {
    await create();
    await assert.rejects(h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web' })),
      { name: 'InvalidParameterException', message: 'The service cannot be stopped while it is scaled above 0.' });
    const draining = (await h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web', force: true }))).service!;
    assert.deepEqual([draining.status, draining.desiredCount], ['DRAINING', 0]);
    assert.deepEqual((await h.ecs.send(new ListServicesCommand({ cluster: 'c' }))).serviceArns, []);
    const gone = await eventually('INACTIVE', async () => { const s = await describeService(h.ecs, 'c', 'web'); return s.status === 'INACTIVE' && s; });
    assert.deepEqual(gone.deployments, []);
    await assert.rejects(h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', desiredCount: 1 })), { name: 'ServiceNotActiveException' });
    await assert.rejects(h.ecs.send(new DeleteServiceCommand({ cluster: 'c', service: 'web', force: true })), { name: 'ServiceNotFoundException' });
    assert.equal((await create()).service?.status, 'ACTIVE');
  });

  it('lists with filters and pagination (10 by default)', async () => {
    for (let i = 0; i < 12; i++) await create({ serviceName: `s${String(i).padStart(2, '0')}` });
    await create({ serviceName: 'daemon', schedulingStrategy: 'DAEMON', desiredCount: undefined });
    const p1 = await h.ecs.send(new ListServicesCommand({ cluster: 'c' }));
    assert.equal(p1.serviceArns?.length, 10);
    const p2 = await h.ecs.send(new ListServicesCommand({ cluster: 'c', nextToken: p1.nextToken }));
    assert.equal(p2.serviceArns?.length, 3);
    assert.equal(p2.nextToken, undefined);
    assert.deepEqual((await h.ecs.send(new ListServicesCommand({ cluster: 'c', schedulingStrategy: 'DAEMON' }))).serviceArns, [`${ARN}:service/c/daemon`]);
    assert.equal((await h.ecs.send(new ListServicesCommand({ cluster: 'c', launchType: 'EC2', maxResults: 100 }))).serviceArns?.length, 13);
    assert.deepEqual((await h.ecs.send(new ListServicesCommand({ cluster: 'c', launchType: 'EXTERNAL' }))).serviceArns, []);
    await assert.rejects(h.ecs.send(new ListServicesByNamespaceCommand({ namespace: 'x' })), (e: Error & { $metadata?: { httpStatusCode?: number } }) =>
      e.$metadata?.httpStatusCode === 501);
  });

  it('counts active services in DescribeClusters and keeps DeleteCluster from deleting them', async () => {
    await create();
    assert.equal((await h.ecs.send(new DescribeClustersCommand({ clusters: ['c'] }))).clusters?.[0].activeServicesCount, 1);
    await assert.rejects(h.ecs.send(new DeleteClusterCommand({ cluster: 'c' })), { name: 'ClusterContainsServicesException' });
  });

  it('records why it cannot place tasks, once', async () => {
    await create();
    const s = await eventually('a placement event', async () => {
      const d = await describeService(h.ecs, 'c', 'web');
      return d.events?.length ? d : undefined;
    });
    assert.deepEqual(eventsOf(s), ['(service web) was unable to place a task because no container instance met all of its requirements. '
      + 'Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.']);
    await h.berth.services.ecs.scheduler!.runOnce();
    assert.equal((await describeService(h.ecs, 'c', 'web')).events?.length, 1, 'the same warning is not repeated');
  });

  it('shows deployments through the service-deployment API', async () => {
    const first = (await create()).service!;
    await h.ecs.send(new UpdateServiceCommand({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }));
    const listed = (await h.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'c', service: 'web' }))).serviceDeployments!;
    assert.equal(listed.length, 2);
    assert.equal(listed[1].serviceDeploymentArn, first.currentServiceDeployment, 'newest first');
    assert.deepEqual(listed.map((d) => d.status), ['IN_PROGRESS', 'STOPPED']);
    const page = await h.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'c', service: 'web', maxResults: 1 }));
    const rest = await h.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'c', service: 'web', maxResults: 1, nextToken: page.nextToken }));
    assert.deepEqual([page.serviceDeployments![0].serviceDeploymentArn, rest.serviceDeployments![0].serviceDeploymentArn],
      listed.map((d) => d.serviceDeploymentArn));
    const missing = `${ARN}:service-deployment/c/web/nope`;
    const described = await h.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [listed[0].serviceDeploymentArn!, missing] }));
    const [d] = described.serviceDeployments!;
    assert.deepEqual(described.failures, [{ arn: missing, reason: 'MISSING' }]);
    assert.equal(d.targetServiceRevision?.arn, listed[0].targetServiceRevisionArn);
    assert.deepEqual(d.sourceServiceRevisions?.map((r) => r.arn), [listed[1].targetServiceRevisionArn]);
    assert.deepEqual(d.deploymentCircuitBreaker, { status: 'DISABLED', failureCount: 0, threshold: 3 });
    const revisions = await h.ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [d.targetServiceRevision!.arn!] }));
    assert.equal(revisions.serviceRevisions?.[0].taskDefinition, `${ARN}:task-definition/web:2`);
    assert.deepEqual(revisions.serviceRevisions?.[0].containerImages, [{ containerName: 'app', image: 'busybox:2' }]);
  });
});

// The service contract: handlers name real operations and are typed against the SDK; the internal
// client runs validate → authorize → handler with the caller's principal; services start and stop
// through the contract.
import type * as Ecs from '@aws-sdk/client-ecs';
import type { CreateClusterResponse, DescribeClustersResponse } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AwsError } from '../common/errors.js';
import { startHarness, type Harness } from '../testing/harness.js';
import type { Caller, RequestContext } from './context.js';
import { serviceList } from './registry.js';
import type { Provider } from './types.js';

const camelToOp = (name: string) => name[0].toUpperCase() + name.slice(1);
const caller: Caller = { account: '111122223333', region: 'eu-west-1', accessKeyId: 'AKIDTEST', principalArn: 'arn:aws:iam::111122223333:user/alice' };

describe('service contract', () => {
  it('every handler of every service names an operation of its SDK schema', async () => {
    for (const service of serviceList) {
      const names = Object.keys(await service.handlers());
      assert.ok(names.length > 0, `${service.name} has handlers`);
      const missing = names.filter((n) => !Array.isArray(service.sdk()[`${camelToOp(n)}$`]));
      assert.deepEqual(missing, [], `${service.name} handlers without an operation`);
    }
  });

  it('tsc rejects a misspelled operation and a wrong output member', () => {
    // Type-level assertions: if either line stopped being an error, `@ts-expect-error` itself would
    // fail the build.
    // @ts-expect-error runTsk is not an ECS operation
    const misspelled = { runTsk: async () => ({}) } satisfies Provider<typeof Ecs>;
    // @ts-expect-error ListClusters answers clusterArns, not clusterArnz
    const wrongOutput = { listClusters: () => ({ clusterArnz: [] }) } satisfies Provider<typeof Ecs>;
    const right = { listClusters: () => ({ clusterArns: [] }) } satisfies Provider<typeof Ecs>;
    assert.equal(typeof misspelled.runTsk, typeof wrongOutput.listClusters);
    assert.deepEqual(right.listClusters(), { clusterArns: [] });
  });

  describe('internal client', () => {
    let h: Harness;
    const seen: RequestContext[] = [];
    before(async () => {
      h = await startHarness();
      const open = h.berth.app.authorize;
      h.berth.app.authorize = (ctx, input) => {
        seen.push(ctx);
        if (ctx.principalArn.endsWith(':user/mallory')) throw new AwsError('AccessDeniedException', `User: ${ctx.principalArn} is not authorized to perform: ${ctx.service}:${ctx.operation}`);
        return open(ctx, input);
      };
    });
    after(() => h.close());

    it('runs the handler as the caller, in the caller\'s account and region', async () => {
      const out = await h.berth.app.call<CreateClusterResponse>('ecs', 'CreateCluster', { clusterName: 'internal' }, caller);
      assert.equal(out.cluster?.clusterArn, 'arn:aws:ecs:eu-west-1:111122223333:cluster/internal');
      const ctx = seen.at(-1)!;
      assert.equal(ctx.principalArn, caller.principalArn);
      assert.equal(ctx.operation, 'CreateCluster');
      assert.equal(ctx.internal, true);
      const described = await h.berth.app.call<DescribeClustersResponse>('ecs', 'DescribeClusters', { clusters: ['internal'] }, caller);
      assert.equal(described.clusters?.[0].clusterName, 'internal');
    });

    it('validates input against the SDK schema before the handler', async () => {
      await assert.rejects(h.berth.app.call('ecs', 'DescribeTaskDefinition', {}, caller),
        (err: AwsError) => err.code === 'InvalidParameterException' && /taskDefinition/.test(err.message));
      await assert.rejects(h.berth.app.call('ecs', 'CreateCluster', { clusterName: 7 }, caller),
        (err: AwsError) => err.code === 'SerializationException');
    });

    it('authorizes as the calling principal: a denial is an AwsError and changes nothing', async () => {
      const mallory = { ...caller, principalArn: 'arn:aws:iam::111122223333:user/mallory' };
      await assert.rejects(h.berth.app.call('ecs', 'CreateCluster', { clusterName: 'denied' }, mallory),
        (err: AwsError) => err.code === 'AccessDeniedException' && err.message.includes('user/mallory'));
      const out = await h.berth.app.call<DescribeClustersResponse>('ecs', 'DescribeClusters', { clusters: ['denied'] }, caller);
      assert.equal(out.clusters?.length, 0);
    });

    it('unknown services and operations are AWS errors', async () => {
      await assert.rejects(h.berth.app.call('nosuch', 'X', {}, caller), (err: AwsError) => err.code === 'NotImplemented');
      await assert.rejects(h.berth.app.call('ecs', 'NoSuchOperation', {}, caller), (err: AwsError) => err.code === 'UnknownOperationException');
    });

    it('does not let a handler change the caller\'s input object', async () => {
      const input = { clusterName: 'copy', tags: [{ key: 'a', value: 'b' }] };
      const before = structuredClone(input);
      await h.berth.app.call('ecs', 'CreateCluster', input, caller);
      assert.deepEqual(input, before);
    });
  });

  it('services start through the contract and stop with the server', async () => {
    const h = await startHarness();
    assert.ok(h.berth.services.ecs.scheduler, 'ECS scheduler started by ecs.start()');
    const health = await (await fetch(`${h.url}/_berth/health`)).json() as { stats: Record<string, Record<string, number>> };
    assert.deepEqual(health.stats.ecs, {
      agentSessions: 0, telemetrySessions: 0, acsStopVerifications: 0, acsStopsConfirmed: 0, acsStopsRefused: 0,
      telemetryMetricsReports: 0, telemetryHealthReports: 0, telemetryInstanceStatusReports: 0,
    });
    const explain = await fetch(`${h.url}/_berth/explain-placement?cluster=none&taskDefinition=x`);
    assert.equal(explain.status, 400, 'the explain route ECS registered answers');
    await h.close();
    await assert.rejects(fetch(`${h.url}/_berth/health`));
  });
});

// Berth's agent on TCS, against a real in-process Berth server (simulated runtime): container CPU
// and memory reach the server's telemetry pipeline the way the ECS agent's do, and the frame and
// stats arithmetic.
import { CreateClusterCommand, RegisterTaskDefinitionCommand, StartTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFrame } from '../protocol/tcs.js';
import { VERSION } from '../server/berth.js';
import { eventually } from '../testing/eventually.js';
import { credentials, startHarness, type Harness } from '../testing/harness.js';
import { Agent } from './agent.js';
import { containerMetric, signedFrame, tcsUrl } from './tcs-client.js';

describe('agent telemetry (TCS)', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 200 } } } });
    dir = mkdtempSync(join(tmpdir(), 'berth-tcs-'));
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'tel' }));
  });
  after(async () => { await h.close(); rmSync(dir, { recursive: true, force: true }); });

  it('publishes each running task\'s CPU (of the host) and memory; the server turns them into CPU units and MiB', async () => {
    const agent = await Agent.start({ endpoint: h.url, cluster: 'tel', runtime: 'simulated', version: VERSION, cpu: 2048, memory: 4096,
      stateDir: join(dir, 'a'), log: () => {}, backoffMs: [50, 500], telemetryPublishMs: 100 });
    try {
      await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'busy', containerDefinitions: [
        { name: 'load', image: 'busybox', cpu: 1024, memory: 256, command: ['sh', '-c', 'cpu 512; alloc 100'] }] }));
      const task = (await h.ecs.send(new StartTaskCommand({ cluster: 'tel', taskDefinition: 'busy', containerInstances: [agent.instanceArn] }))).tasks![0].taskArn!;
      // `cpu 512` holds the CPU, so the `alloc` after it never runs: 512 units, 1 MiB baseline.
      const sample = await eventually('a metrics sample of the task', () => {
        const s = h.berth.services.ecs.tcs.latest(task);
        return s && s.cpuUnits > 0 ? s : undefined;
      });
      assert.equal(Math.round(sample.cpuUnits), 512);
      assert.equal(sample.memoryMiB, 1);
      assert.deepEqual([sample.cpuReserved, sample.memoryReserved], [1024, 256]);
      await eventually('the server\'s AckPublishMetric', () => (agent.tcs.acks.get('AckPublishMetric') ?? 0) > 0);
    } finally { await agent.stop(); }
  });

  it('frames are a signed header block, then the JSON message', async () => {
    const url = tcsUrl('http://127.0.0.1:4566/tcs', 'c', 'arn:aws:ecs:us-east-1:000000000000:container-instance/c/1');
    assert.equal(url.href.split('?')[0], 'ws://127.0.0.1:4566/tcs/ws');
    const frame = await signedFrame(url, { type: 'PublishHealthRequest', message: { tasks: [] } }, credentials, 'us-east-1');
    const parsed = parseFrame(frame);
    assert.match(parsed.headers.authorization, /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/ecs\/aws4_request/);
    assert.match(parsed.headers['x-amz-date'], /^\d{8}T\d{6}Z$/);
    assert.deepEqual(JSON.parse(parsed.body), { type: 'PublishHealthRequest', message: { tasks: [] } });
  });

  it('reads CPU as a share of the whole host and memory less the page cache from Docker stats', () => {
    const m = containerMetric('app', {
      cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000 },
      precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 16_000_000_000 },
      memory_stats: { usage: 150 * 1024 * 1024, stats: { inactive_file: 50 * 1024 * 1024 } },
    });
    assert.deepEqual(m.cpuStatsSet, { min: 25, max: 25, sampleCount: 1, sum: 25 });
    assert.deepEqual(m.memoryStatsSet, { min: 100, max: 100, sampleCount: 1, sum: 100 });
  });
});

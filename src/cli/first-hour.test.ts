// What a newcomer meets at the command line, with real `berth` processes: a missing cluster, a
// port in use, a second server on the same data, and what Ctrl-C says and does.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnBerth, type BerthProcess } from '../testing/processes.js';

const IP = '127.0.20.20';
const AGENT_IP = '127.0.20.21';

describe('the first hour at the command line', () => {
  let dir: string;
  const procs: BerthProcess[] = [];
  const start = (args: string[]) => { const p = spawnBerth(args, { env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } }); procs.push(p); return p; };
  const exitCode = (p: BerthProcess) => new Promise<number | null>((resolve) => {
    if (p.child.exitCode !== null) resolve(p.child.exitCode); else p.child.once('exit', (code) => resolve(code));
  });
  before(() => { dir = mkdtempSync(join(tmpdir(), 'berth-first-hour-')); });
  after(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('20: berth agent for a cluster that does not exist says how to create it', async () => {
    const server = start(['server', '--host', IP, '--port', '0', '--store', 'memory://', '--log-level', 'off']);
    const url = (await server.waitFor(/listening on (http:\/\/\S+)/))[1];
    const agent = start(['agent', '--cluster', 'nowhere', '--runtime', 'simulated', '--endpoint', url, '--ip', AGENT_IP, '--state-dir', join(dir, 'agent')]);
    assert.equal(await exitCode(agent), 1);
    assert.match(agent.output(), /cluster 'nowhere' does not exist on http:\/\/127\.0\.20\.20:\d+ \(region us-east-1\)\. Create it first:/);
    assert.match(agent.output(), new RegExp(`aws --endpoint-url ${url.replace(/\./g, '\\.')} --region us-east-1 ecs create-cluster --cluster-name nowhere`));
    await server.kill('SIGTERM');
  });

  it('21: a port in use names --port and BERTH_PORT', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, IP, resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const server = start(['server', '--host', IP, '--port', String(port), '--store', 'memory://']);
      assert.equal(await exitCode(server), 1);
      assert.match(server.output(), new RegExp(`port ${port} on ${IP.replace(/\./g, '\\.')} is already in use .*--port N or BERTH_PORT=N`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('22: a second server on the same data directory refuses to start and names the holder; Ctrl-C says what it does', async () => {
    const data = join(dir, 'data');
    const first = start(['server', '--host', IP, '--port', '0', '--data', data]);
    const url = (await first.waitFor(/listening on (http:\/\/\S+)/))[1];
    const lock = JSON.parse(readFileSync(join(data, 'berth.db.lock'), 'utf8')) as { pid: number; url: string };
    assert.equal(lock.pid, first.child.pid);
    assert.equal(lock.url, url);

    const second = start(['server', '--host', IP, '--port', '0', '--data', data]);
    assert.equal(await exitCode(second), 1);
    assert.match(second.output(), new RegExp(`in use by another berth server \\(pid ${first.child.pid} on [^,]+, ${url.replace(/\./g, '\\.')}, since `));
    assert.match(second.output(), /give this one its own --data directory/);
    assert.doesNotMatch(second.output(), /listening on/);

    first.child.kill('SIGINT');
    assert.equal(await exitCode(first), 0);
    assert.match(first.output(), /berth: Ctrl-C: stopping the server\. Agents keep their containers running and reconnect when it is back\./);
    assert.throws(() => readFileSync(join(data, 'berth.db.lock')), /ENOENT/, 'the lock is released on exit');

    // After kill -9 the lock is stale (its process is gone): the next server takes it over.
    const third = start(['server', '--host', IP, '--port', '0', '--data', data]);
    await third.waitFor(/listening on/);
    await third.kill('SIGKILL');
    const fourth = start(['server', '--host', IP, '--port', '0', '--data', data]);
    await fourth.waitFor(/listening on/);
    await fourth.kill('SIGTERM');
  });

  it('24: Ctrl-C of an agent says its containers keep running and are re-adopted (or stopped with the flag)', async () => {
    const server = start(['server', '--host', IP, '--port', '0', '--store', 'memory://', '--log-level', 'off']);
    const url = (await server.waitFor(/listening on (http:\/\/\S+)/))[1];
    const created = await fetch(url, { method: 'POST', body: '{"clusterName":"c"}', headers: {
      'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.CreateCluster',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x' } });
    assert.equal(created.status, 200);
    for (const [flags, said] of [[[], /containers keep running and are re-adopted when the agent starts again/],
      [['--stop-containers-on-exit'], /the agent stops its containers \(--stop-containers-on-exit\)/]] as const) {
      const agent = start(['agent', '--cluster', 'c', '--runtime', 'simulated', '--endpoint', url, '--ip', AGENT_IP,
        '--state-dir', join(dir, `agent-${flags.length}`), ...flags]);
      await agent.waitFor(/agent: arn:aws:ecs:/);
      agent.child.kill('SIGINT');
      assert.equal(await exitCode(agent), 0);
      assert.match(agent.output(), said);
    }
    await server.kill('SIGTERM');
  });
});

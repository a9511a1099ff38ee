// HTTPS on the one port (--tls-cert/--tls-key): the API through the SDK and the AWS CLI with
// --ca-bundle, and an agent that verifies the server with --ca, connects its ACS websocket over
// wss:// and runs a task. A client that does not trust the CA is refused by certificate checking.
import { CreateClusterCommand, DescribeTasksCommand, ECSClient, ListClustersCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { Agent as HttpsAgent } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../agent/agent.js';
import { cliEnv, runCli } from '../testing/aws-cli.js';
import { eventually } from '../testing/eventually.js';
import { credentials } from '../testing/harness.js';
import { requireAwsCliV1, requireOpenssl } from '../testing/requirements.js';
import { makeCertificates, type TlsFiles } from '../testing/tls-fixture.js';
import { startBerth, VERSION, type Berth } from './berth.js';

describe('TLS on the server port', requireOpenssl(), () => {
  let dir: string;
  let files: TlsFiles;
  let berth: Berth;
  let ecs: ECSClient;
  let httpsAgent: HttpsAgent;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    files = makeCertificates(dir, { dns: ['localhost'], ips: ['127.15.0.1'] });
    berth = await startBerth({ host: '127.15.0.1', port: 0, store: 'memory://', tls: { cert: files.cert, key: files.key } });
    httpsAgent = new HttpsAgent({ ca: files.ca });
    ecs = new ECSClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: { httpsAgent } });
  });
  after(async () => {
    ecs?.destroy();
    httpsAgent?.destroy();
    await berth?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS, verified against the CA', async () => {
    assert.match(berth.url, /^https:\/\/127\.15\.0\.1:\d+$/);
    await ecs.send(new CreateClusterCommand({ clusterName: 'tls' }));
    const out = await ecs.send(new ListClustersCommand({}));
    assert.ok(out.clusterArns?.some((a) => a.endsWith('/tls')));
    const untrusting = new ECSClient({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await assert.rejects(untrusting.send(new ListClustersCommand({})), /self[- ]signed|unable to verify|certificate/i);
    untrusting.destroy();
    // Plain HTTP on the TLS port is not served.
    await assert.rejects(fetch(berth.url.replace('https:', 'http:') + '/_berth/health'));
  });

  it('the AWS CLI works with --ca-bundle', requireAwsCliV1(), async () => {
    const env = cliEnv(dir);
    await runCli('aws', berth.url, env, ['--ca-bundle', files.caFile, 'ecs', 'create-cluster', '--cluster-name', 'cli']);
    const out = await runCli('aws', berth.url, env, ['--ca-bundle', files.caFile, 'ecs', 'list-clusters']);
    assert.deepEqual(out.clusterArns, ['arn:aws:ecs:us-east-1:123456789012:cluster/cli']);
    await assert.rejects(runCli('aws', berth.url, env, ['ecs', 'list-clusters']), /SSL|certificate/i);
  });

  it('an agent given --ca connects over wss:// (the advertised https endpoint) and runs a task', async () => {
    const agent = await Agent.start({
      endpoint: berth.url, cluster: 'tls', runtime: 'simulated', version: VERSION, ca: files.ca, log: () => {},
      stateDir: join(dir, 'agent'), ip: '127.15.0.2', backoffMs: [50, 500],
    });
    try {
      await eventually('the agent connected over wss://', () => agent.acs.connected);
      await ecs.send(new RegisterTaskDefinitionCommand({ family: 'tls', containerDefinitions: [{ name: 'c', image: 'busybox', memory: 32, command: ['httpd', '-f'] }] }));
      const run = await ecs.send(new RunTaskCommand({ cluster: 'tls', taskDefinition: 'tls' }));
      const arn = run.tasks![0].taskArn!;
      await eventually('the task RUNNING', async () =>
        (await ecs.send(new DescribeTasksCommand({ cluster: 'tls', tasks: [arn] }))).tasks![0].lastStatus === 'RUNNING');
    } finally { await agent.stop(); }
  });
});

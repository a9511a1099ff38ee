// The awslogs driver end to end: a real server and agent (processes), a real container writing
// lines; the agent ships them with PutLogEvents; the agent is killed with -9 twice mid-stream and
// restarted; `aws logs get-log-events` and `filter-log-events` (AWS CLI v1) then return exactly the
// container's lines, in order, none lost and none doubled, with the container's timestamps.
import {
  CreateClusterCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliEnv, runCli, type Json } from '../testing/aws-cli.js';
import { docker, eventually, removeContainersOf } from '../testing/docker-fixture.js';
import { credentials } from '../testing/harness.js';
import { freePort, spawnBerth, type BerthProcess } from '../testing/processes.js';
import { requireAwsCliV1, requireTestImage, TEST_IMAGE } from '../testing/requirements.js';

const HOST = '127.0.50.10';
const IP = '127.0.50.11';
const LINES = 300;

describe('awslogs driver (processes, docker runtime)', requireTestImage(), () => {
  let dir: string;
  let url: string;
  let server: BerthProcess;
  let agent: BerthProcess | undefined;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;
  let instanceArn = '';

  const startAgent = async () => {
    agent = spawnBerth(['agent', '--endpoint', url, '--cluster', 'logs', '--ip', IP, '--state-dir', join(dir, 'agent'), '--instance-type', 'm5.large']);
    return (await agent.waitFor(/agent: (arn:aws:ecs:\S+container-instance\S+)/))[1];
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-awslogs-'));
    const port = await freePort(HOST);
    url = `http://${HOST}:${port}`;
    server = spawnBerth(['server', '--host', HOST, '--port', String(port), '--data', join(dir, 'data')]);
    await server.waitFor(/listening on/);
    ecs = new ECSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 3 });
    logs = new CloudWatchLogsClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 3 });
    await ecs.send(new CreateClusterCommand({ clusterName: 'logs' }));
    instanceArn = await startAgent();
  });
  after(async () => {
    await agent?.kill('SIGTERM');
    await server?.kill('SIGTERM');
    ecs?.destroy();
    logs?.destroy();
    if (instanceArn) removeContainersOf(instanceArn);
    rmSync(dir, { recursive: true, force: true });
  });

  it('advertises the awslogs capabilities', async () => {
    const ci = (await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'logs', containerInstances: [instanceArn] }))).containerInstances![0];
    const names = ci.attributes!.map((a) => a.name);
    assert.ok(names.includes('com.amazonaws.ecs.capability.logging-driver.awslogs'));
    assert.ok(names.includes('ecs.capability.execution-role-awslogs'));
  });

  it('ships every line once across two kill -9 of the agent', requireAwsCliV1(), async () => {
    const script = `i=0; while [ $i -lt ${LINES} ]; do echo "line $i"; i=$((i+1)); usleep 8000; done; echo "done on stderr" >&2`;
    const td = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'chatty', containerDefinitions: [{
      name: 'app', image: TEST_IMAGE, memory: 32, command: ['sh', '-c', script],
      logConfiguration: { logDriver: 'awslogs', options: {
        'awslogs-group': '/ecs/chatty', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web', 'awslogs-create-group': 'true', mode: 'non-blocking',
      } },
    }] }))).taskDefinition!.taskDefinitionArn!;
    const run = await ecs.send(new RunTaskCommand({ cluster: 'logs', taskDefinition: td }));
    assert.deepEqual(run.failures, []);
    const taskArn = run.tasks![0].taskArn!;
    const stream = `web/app/${taskArn.split('/').pop()}`;
    const shipped = async () => (await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/chatty', logStreamName: stream, startFromHead: true }))).events!.length;
    for (const atLeast of [40, 150]) {
      await eventually(`${atLeast} lines shipped`, async () => (await shipped().catch(() => 0)) >= atLeast);
      await agent!.kill('SIGKILL');
      await startAgent();
    }
    await eventually('the task stopped', async () =>
      (await ecs.send(new DescribeTasksCommand({ cluster: 'logs', tasks: [taskArn] }))).tasks![0].lastStatus === 'STOPPED', 60_000);
    await eventually('every line shipped', async () => (await shipped()) >= LINES + 1, 60_000);

    const env = cliEnv(dir);
    const aws = (...args: string[]) => runCli('aws', url, { ...env, AWS_ACCESS_KEY_ID: credentials.accessKeyId }, args);
    const got: Json = await aws('logs', 'get-log-events', '--log-group-name', '/ecs/chatty', '--log-stream-name', stream, '--start-from-head');
    const expected = [...Array.from({ length: LINES }, (_, i) => `line ${i}`), 'done on stderr'];
    assert.deepEqual(got.events.map((e: Json) => e.message), expected);
    const times = got.events.map((e: Json) => e.timestamp as number);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timestamps never go backwards');
    const containerStart = Date.parse(docker('inspect', '-f', '{{.State.StartedAt}}', (await ecs.send(new DescribeTasksCommand({ cluster: 'logs', tasks: [taskArn] }))).tasks![0].containers![0].runtimeId!));
    assert.ok(times[0] >= containerStart - 1000 && times[0] - containerStart < 5000, 'timestamps are the container\'s');
    // Terms match anywhere in a message: "line 29" also matches line 290…299.
    const filtered: Json = await aws('logs', 'filter-log-events', '--log-group-name', '/ecs/chatty', '--filter-pattern', '"line 29"');
    assert.deepEqual(filtered.events.map((e: Json) => e.message), ['line 29', ...Array.from({ length: 10 }, (_, i) => `line ${290 + i}`)]);
    const all: Json = await aws('logs', 'filter-log-events', '--log-group-name', '/ecs/chatty');
    assert.deepEqual(all.events.map((e: Json) => e.message), expected);
  });
});

// Issue 12's walkthrough through the AWS CLI with the real Docker engine: an ALB with a health-checked
// target group and a listener; ECS services of busybox httpd tasks on dynamic host ports with
// --load-balancers; curl-equivalent requests reach every task; path-based routing and a fixed
// response; a rolling update with zero non-200 answers; a target failing its health checks gets its
// task replaced; a killed container is replaced; an NLB forwards TCP to a service.
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../agent/agent.js';
import { LABELS } from '../../agent/container-spec.js';
import { VERSION } from '../../server/berth.js';
import { docker, eventually, removeContainersOf } from '../../testing/docker-fixture.js';
import { credentials, startHarness, type Harness } from '../../testing/harness.js';
import { requireAwsCliV1, requireTestImage, TEST_IMAGE } from '../../testing/requirements.js';

const AGENT_IP = '127.0.40.50';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('ELBv2 + ECS walkthrough (AWS CLI, Docker)', () => {
  const image = requireTestImage();
  const cli = image.skip ? image : requireAwsCliV1();
  let h: Harness;
  let agent: Agent | undefined;
  let dir: string;
  let elb: ElasticLoadBalancingV2Client;

  function aws(...args: string[]): Promise<Json> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
    Object.assign(env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '',
      AWS_DEFAULT_OUTPUT: 'json', AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials') });
    return new Promise((resolve, reject) => {
      execFile('aws', ['--endpoint-url', h.url, ...args], { env, cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`aws ${args.join(' ')}: ${stderr || stdout}`)); else resolve(JSON.parse(stdout || '{}'));
      });
    });
  }

  /** A task definition whose httpd answers `<tag> <hostname>` (distinct per task) and has /health.html. */
  function taskDefinition(family: string, tag: string, path = '') {
    const script = `mkdir -p /www${path} && echo "${tag} $(hostname)" > /www${path}/index.html && echo ok > /www/health.html && exec httpd -f -p 80 -h /www`;
    writeFileSync(join(dir, `${family}.json`), JSON.stringify({ family, containerDefinitions: [{ name: 'web', image: TEST_IMAGE, memory: 32, stopTimeout: 2,
      portMappings: [{ containerPort: 80, hostPort: 0 }], command: ['sh', '-c', script] }] }));
    return aws('ecs', 'register-task-definition', '--cli-input-json', `file://${family}.json`);
  }

  before(async () => {
    if (cli.skip) return;
    dir = mkdtempSync(join(tmpdir(), 'berth-elb-'));
    h = await startHarness({ config: { ecs: { acs: { heartbeatMs: 500 } },
      elasticloadbalancing: { addressPool: '127.0.40.32/28', healthCheckTimeScale: 0.1, metricsIntervalSeconds: 0 } } });
    elb = new ElasticLoadBalancingV2Client({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await aws('ecs', 'create-cluster', '--cluster-name', 'default');
    agent = await Agent.start({ endpoint: h.url, cluster: 'default', runtime: 'docker', ip: AGENT_IP, version: VERSION,
      stateDir: join(dir, 'agent'), log: () => {}, backoffMs: [50, 1000] });
  });
  after(async () => {
    if (cli.skip) return;
    await agent?.stop();
    if (agent) removeContainersOf(agent.instanceArn);
    elb?.destroy();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('walks through ALB + ECS: routing, rolling update without errors, unhealthy and killed tasks replaced, NLB', cli, async () => {
    const lb = (await aws('elbv2', 'create-load-balancer', '--name', 'web-alb', '--subnets', 'subnet-0a1b2c3d', 'subnet-0e4f5a6b')).LoadBalancers[0];
    const url = `http://${lb.DNSName}`;
    const tgArgs = ['--protocol', 'HTTP', '--port', '80', '--vpc-id', 'vpc-0abc1234', '--target-type', 'instance', '--health-check-path', '/health.html',
      '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2', '--unhealthy-threshold-count', '2'];
    // Independent CLI calls run side by side (each starts a Python process).
    const [webTg, apiTg]: string[] = (await Promise.all(['web-tg', 'api-tg'].map((name) => aws('elbv2', 'create-target-group', '--name', name, ...tgArgs))))
      .map((o) => o.TargetGroups[0].TargetGroupArn);
    await Promise.all([webTg, apiTg].map((tg) =>
      aws('elbv2', 'modify-target-group-attributes', '--target-group-arn', tg, '--attributes', 'Key=deregistration_delay.timeout_seconds,Value=5')));
    const listener: string = (await aws('elbv2', 'create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', '80',
      '--default-actions', `Type=forward,TargetGroupArn=${webTg}`)).Listeners[0].ListenerArn;
    await Promise.all([
      aws('elbv2', 'create-rule', '--listener-arn', listener, '--priority', '10', '--conditions', 'Field=path-pattern,Values=/api/*',
        '--actions', `Type=forward,TargetGroupArn=${apiTg}`),
      aws('elbv2', 'create-rule', '--listener-arn', listener, '--priority', '5', '--conditions', 'Field=path-pattern,Values=/status',
        '--actions', 'Type=fixed-response,FixedResponseConfig={StatusCode=200,ContentType=text/plain,MessageBody=all good}'),
      taskDefinition('web', 'v1'),
      taskDefinition('api', 'api', '/api'),
    ]);
    // The grace period covers an httpd slow to start on a loaded machine: health checks run every
    // 0.5 s here, so without it a task failing its first two checks would be replaced at once.
    const service = (name: string, td: string, tg: string, count: number) => aws('ecs', 'create-service', '--cluster', 'default', '--service-name', name,
      '--task-definition', td, '--desired-count', String(count), '--health-check-grace-period-seconds', '5',
      '--load-balancers', `targetGroupArn=${tg},containerName=web,containerPort=80`);
    await Promise.all([service('web', 'web', webTg, 3), service('api', 'api', apiTg, 1)]);

    // Waiting polls through the SDK (each CLI call starts a Python process); the steps use the CLI.
    const healthy = async (tg: string, n: number) => {
      const d = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions as Json[];
      const ok = d.filter((x) => x.TargetHealth.State === 'healthy');
      return ok.length === n && d.length === n && d;
    };
    await eventually('3 healthy web targets', () => healthy(webTg, 3), 60_000, 100);
    const described = (await aws('elbv2', 'describe-target-health', '--target-group-arn', webTg)).TargetHealthDescriptions as Json[];
    assert.deepEqual(described.map((d) => d.TargetHealth.State), ['healthy', 'healthy', 'healthy']);
    assert.ok(described.every((d: Json) => /^i-[0-9a-f]+$/.test(d.Target.Id) && d.Target.Port > 0), 'instance targets on dynamic host ports');
    await eventually('1 healthy api target', () => healthy(apiTg, 1), 60_000, 100);

    const bodies = new Set<string>();
    for (let i = 0; i < 9; i++) bodies.add((await (await fetch(`${url}/`)).text()).trim());
    assert.equal(bodies.size, 3, `three distinct tasks answer: ${[...bodies].join(' | ')}`);
    assert.ok([...bodies].every((b) => b.startsWith('v1 ')));
    assert.match(await (await fetch(`${url}/api/`)).text(), /^api /);
    assert.equal(await (await fetch(`${url}/status`)).text(), 'all good');
    const events = (): Promise<string[]> => aws('ecs', 'describe-services', '--cluster', 'default', '--services', 'web')
      .then((o) => (o.services[0].events as Json[]).map((e) => e.message as string));
    const registered = (await events()).filter((m) => m.startsWith(`(service web) registered `) && m.endsWith(`in (target-group ${webTg})`));
    // One registration per task that ran: the 3, plus any a loaded machine had to replace already.
    const replaced = (await h.ecs.send(new ListTasksCommand({ cluster: 'default', serviceName: 'web', desiredStatus: 'STOPPED' }))).taskArns!.length;
    assert.equal(registered.reduce((s, m) => s + Number(/registered (\d+) targets/.exec(m)![1]), 0), 3 + replaced);

    // Rolling update to a new revision while requests keep coming: no answer but 200.
    await taskDefinition('web', 'v2');
    let stop = false;
    const statuses = new Map<number, number>();
    const load = (async () => {
      while (!stop) {
        const res = await fetch(`${url}/`);
        await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    })();
    await aws('ecs', 'update-service', '--cluster', 'default', '--service', 'web', '--task-definition', 'web:2');
    await eventually('deployment completed', async () => {
      const s = (await h.ecs.send(new DescribeServicesCommand({ cluster: 'default', services: ['web'] }))).services![0];
      return s.deployments!.length === 1 && s.deployments![0].rolloutState === 'COMPLETED' && await healthy(webTg, 3);
    }, 90_000, 100);
    stop = true;
    await load;
    assert.deepEqual([...statuses.keys()], [200], `answers during the deployment: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(200) ?? 0) > 20);
    const v2 = new Set<string>();
    for (let i = 0; i < 9; i++) v2.add((await (await fetch(`${url}/`)).text()).trim());
    assert.ok(v2.size === 3 && [...v2].every((b) => b.startsWith('v2 ')), [...v2].join(' | '));

    // A target failing its health checks: ECS stops the task and replaces it.
    const tasks = async (): Promise<string[]> => (await h.ecs.send(new ListTasksCommand({ cluster: 'default', serviceName: 'web' }))).taskArns!;
    const victim = (await tasks())[0];
    const container = docker('ps', '-q', '--filter', `label=${LABELS.taskArn}=${victim}`);
    docker('exec', container, 'rm', '/www/health.html');
    const stopped = await eventually('the unhealthy task stopped', async () => {
      const t = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [victim] }))).tasks![0];
      return t.desiredStatus === 'STOPPED' && t;
    }, 60_000, 100);
    assert.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${webTg})`);
    assert.ok((await events()).some((m) => m.includes(`is unhealthy in (target-group ${webTg}) due to (reason Health checks failed with these codes: [404]).`)));
    await eventually('replaced: 3 healthy again', async () => !(await tasks()).includes(victim) && await healthy(webTg, 3), 60_000, 100);

    // A killed container: the task stops, its target is deregistered, ECS starts another.
    const killed = (await tasks())[0];
    docker('kill', docker('ps', '-q', '--filter', `label=${LABELS.taskArn}=${killed}`));
    await eventually('killed task replaced', async () => !(await tasks()).includes(killed) && (await tasks()).length === 3 && await healthy(webTg, 3), 60_000, 100);
    assert.equal((await fetch(`${url}/`)).status, 200);

    // An NLB forwarding TCP to a service.
    const [nlbOut, tcpOut] = await Promise.all([
      aws('elbv2', 'create-load-balancer', '--name', 'tcp-nlb', '--type', 'network', '--subnets', 'subnet-0a1b2c3d'),
      aws('elbv2', 'create-target-group', '--name', 'tcp-tg', '--protocol', 'TCP', '--port', '80', '--vpc-id', 'vpc-0abc1234',
        '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2'),
    ]);
    const nlb = nlbOut.LoadBalancers[0];
    const tcpTg: string = tcpOut.TargetGroups[0].TargetGroupArn;
    await aws('elbv2', 'create-listener', '--load-balancer-arn', nlb.LoadBalancerArn, '--protocol', 'TCP', '--port', '80', '--default-actions', `Type=forward,TargetGroupArn=${tcpTg}`);
    await service('tcp', 'web:2', tcpTg, 1);
    await eventually('1 healthy tcp target', () => healthy(tcpTg, 1), 60_000, 100);
    const reply = await new Promise<string>((resolve, reject) => {
      let data = '';
      const s = connect({ host: nlb.DNSName, port: 80 }, () => s.write('GET / HTTP/1.0\r\n\r\n'));
      s.on('data', (d) => { data += String(d); });
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.[01] 200[\s\S]*\r\n\r\nv2 /);
  });
});

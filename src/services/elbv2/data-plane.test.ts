// The data plane with real sockets: an in-process Berth, real HTTP/TCP targets on this engineer's
// loopback range (127.0.40.0/24), ELBv2 driven through the real SDK client. Health-check timers
// run at 1/10 scale (a 5 s interval takes 0.5 s).
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DeregisterTargetsCommand,
  DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyLoadBalancerAttributesCommand, ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand, type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { credentials, startHarness, type Harness } from '../../testing/harness.js';
import { eventually } from '../../testing/eventually.js';
import type { ElbRunning } from './index.js';

const POOL = '127.0.40.16/28';
const T1 = '127.0.40.101';
const T2 = '127.0.40.102';
const T3 = '127.0.40.103';

interface Target { server: Server; seen: IncomingMessage[]; status: number; hang: boolean }

async function target(ip: string, name: string): Promise<Target> {
  const t: Target = { server: undefined as unknown as Server, seen: [], status: 200, hang: false };
  t.server = createServer((req, res) => {
    if (req.headers['user-agent'] !== 'ELB-HealthChecker/2.0') t.seen.push(req);
    if (t.hang && req.url !== '/health') return; // never answers
    res.writeHead(req.url === '/health' ? t.status : 200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  await new Promise<void>((resolve) => t.server.listen(0, ip, resolve));
  return t;
}
const portOf = (s: Server | TcpServer) => (s.address() as { port: number }).port;

describe('ELBv2 data plane', () => {
  let h: Harness;
  let elb: ElasticLoadBalancingV2Client;
  const targets: Target[] = [];
  let tcp: TcpServer;

  before(async () => {
    h = await startHarness({ config: { elasticloadbalancing: { addressPool: POOL, healthCheckTimeScale: 0.1, metricsIntervalSeconds: 0 } } });
    elb = new ElasticLoadBalancingV2Client({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    targets.push(await target(T1, 'one'), await target(T2, 'two'), await target(T3, 'three'));
    tcp = createTcpServer((s) => s.on('data', (d) => s.write(`echo:${d}`)));
    await new Promise<void>((resolve) => tcp.listen(0, T3, resolve));
  });
  after(async () => {
    elb?.destroy();
    await h?.close();
    for (const t of targets) { t.server.closeAllConnections(); t.server.close(); }
    tcp?.close();
  });

  const health = async (tg: string) => Object.fromEntries(((await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [])
    .map((d) => [d.Target!.Id!, d.TargetHealth!]));
  const states = async (tg: string) => Object.fromEntries(Object.entries(await health(tg)).map(([k, v]) => [k, v.State as TargetHealthStateEnum]));

  async function alb(name: string, port = 80) {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: name, Subnets: ['subnet-0a1', 'subnet-0b2'] }))).LoadBalancers![0];
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: `${name}-tg`, Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', TargetType: 'ip',
      HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 }))).TargetGroups![0];
    const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }))).Listeners![0];
    return { lb, tg, listener, url: `http://${lb.DNSName}:${port}` };
  }

  it('answers on each load balancer\'s own address (two on port 80), round robin over healthy targets, with X-Forwarded-*', async () => {
    const a = await alb('rr');
    const b = await alb('other');
    assert.notEqual(a.lb.DNSName, b.lb.DNSName);
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: a.tg.TargetGroupArn, Targets: [{ Id: T1, Port: portOf(targets[0].server) }, { Id: T2, Port: portOf(targets[1].server) }] }));
    // No targets registered behind b: ALB answers 503 itself.
    await eventually('b listening', async () => (await fetch(`${b.url}/`)).status === 503);
    const page = await (await fetch(`${b.url}/`)).text();
    assert.match(page, /503 Service Temporarily Unavailable/);
    await eventually('both healthy', async () => { const s = await states(a.tg.TargetGroupArn!); return s[T1] === 'healthy' && s[T2] === 'healthy'; });
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push(await (await fetch(`${a.url}/x?y=1`, { headers: { 'x-forwarded-for': '10.1.1.1' } })).text());
    assert.deepEqual(bodies.sort(), ['one', 'one', 'two', 'two']);
    const req = targets[0].seen.at(-1)!;
    assert.equal(req.url, '/x?y=1');
    assert.equal(req.headers['x-forwarded-for'], '10.1.1.1, 127.0.0.1');
    assert.equal(req.headers['x-forwarded-proto'], 'http');
    assert.equal(req.headers['x-forwarded-port'], '80');
    assert.match(String(req.headers['x-amzn-trace-id']), /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(req.headers.host, a.lb.DNSName);

    // Target 2 fails its health checks: it turns unhealthy with AWS's reason and gets no more requests.
    targets[1].status = 500;
    await eventually('T2 unhealthy', async () => (await health(a.tg.TargetGroupArn!))[T2]?.State === 'unhealthy');
    assert.deepEqual((await health(a.tg.TargetGroupArn!))[T2], { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' });
    const after = [];
    for (let i = 0; i < 4; i++) after.push(await (await fetch(`${a.url}/`)).text());
    assert.deepEqual(after, ['one', 'one', 'one', 'one']);
    targets[1].status = 200;
    await eventually('T2 healthy again', async () => (await states(a.tg.TargetGroupArn!))[T2] === 'healthy');

    // Deregistration drains for the delay, then the target is gone.
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: a.tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }] }));
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: a.tg.TargetGroupArn, Targets: [{ Id: T2, Port: portOf(targets[1].server) }] }));
    assert.deepEqual((await health(a.tg.TargetGroupArn!))[T2], { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' });
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(`${a.url}/`)).text(), 'one');
    await eventually('T2 removed after draining', async () => !(T2 in await health(a.tg.TargetGroupArn!)));
  });

  it('evaluates rules by priority: path-pattern, header, fixed-response, redirect', async () => {
    const a = await alb('rules', 8080);
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: a.tg.TargetGroupArn, Targets: [{ Id: T3, Port: portOf(targets[2].server) }] }));
    const rule = (Priority: number, Conditions: object[], Actions: object[]) =>
      elb.send(new CreateRuleCommand({ ListenerArn: a.listener.ListenerArn, Priority, Conditions, Actions } as never));
    await rule(20, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'application/json', MessageBody: '{"api":true}' } }]);
    await rule(10, [{ Field: 'path-pattern', Values: ['/api/admin*'] }, { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Role', Values: ['admin'] } }],
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403', ContentType: 'text/plain', MessageBody: 'admins only' } }]);
    await rule(30, [{ Field: 'path-pattern', Values: ['/old'] }], [{ Type: 'redirect', RedirectConfig: { Path: '/new', StatusCode: 'HTTP_301' } }]);
    await eventually('listening', async () => (await fetch(`${a.url}/`)).ok);
    assert.equal(await (await fetch(`${a.url}/`)).text(), 'three');
    const api = await fetch(`${a.url}/api/users`);
    assert.deepEqual([api.status, api.headers.get('content-type'), await api.text()], [200, 'application/json', '{"api":true}']);
    const admin = await fetch(`${a.url}/api/admin/x`, { headers: { 'x-role': 'admin' } });
    assert.deepEqual([admin.status, await admin.text()], [403, 'admins only']);
    assert.equal((await fetch(`${a.url}/api/admin/x`)).status, 200, 'without the header the priority-20 rule answers');
    const moved = await fetch(`${a.url}/old?q=1`, { redirect: 'manual' });
    assert.deepEqual([moved.status, moved.headers.get('location')], [301, `http://${a.lb.DNSName}:8080/new?q=1`]);
  });

  it('answers 502 when the target refuses and 504 when it outlives the idle timeout', async () => {
    const a = await alb('errors', 8081);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, T1, resolve));
    const deadPort = portOf(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: a.tg.TargetGroupArn, Targets: [{ Id: T1, Port: deadPort }] }));
    await eventually('502', async () => (await fetch(`${a.url}/`)).status === 502);
    assert.match(await (await fetch(`${a.url}/`)).text(), /502 Bad Gateway/);

    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: a.tg.TargetGroupArn, Targets: [{ Id: T1, Port: deadPort }] }));
    await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: a.lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '1' }] }));
    targets[2].hang = true;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: a.tg.TargetGroupArn, Targets: [{ Id: T3, Port: portOf(targets[2].server) }] }));
    try {
      await eventually('504', async () => (await fetch(`${a.url}/slow`)).status === 504);
    } finally { targets[2].hang = false; }
  });

  it('NLB: forwards TCP to a healthy target', async () => {
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'nlb', Type: 'network', Subnets: ['subnet-0a1'] }))).LoadBalancers![0];
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'nlb-tg', Protocol: 'TCP', Port: portOf(tcp), VpcId: 'vpc-1', TargetType: 'ip',
      HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))).TargetGroups![0];
    assert.equal(tg.HealthCheckProtocol, 'TCP');
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'TCP', Port: 7000, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: T3 }] }));
    await eventually('healthy', async () => (await states(tg.TargetGroupArn!))[T3] === 'healthy');
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: lb.DNSName!, port: 7000 }, () => s.write('ping'));
      s.on('data', (d) => { resolve(String(d)); s.destroy(); });
      s.on('error', reject);
    });
    assert.equal(reply, 'echo:ping');
  });

  it('slow start: a target turning healthy beside a healthy one gets a small, rising share, then its full one', async () => {
    const s = await alb('slow');
    // 30 s of slow start is 3 s at this time scale.
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: s.tg.TargetGroupArn, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '30' }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tg.TargetGroupArn, Targets: [{ Id: T1, Port: portOf(targets[0].server) }] }));
    await eventually('T1 healthy', async () => (await states(s.tg.TargetGroupArn!))[T1] === 'healthy');
    const first = await (await fetch(`${s.url}/`)).text();
    assert.equal(first, 'one', 'the first target of a group takes everything at once');
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: s.tg.TargetGroupArn, Targets: [{ Id: T2, Port: portOf(targets[1].server) }] }));
    await eventually('T2 healthy', async () => (await states(s.tg.TargetGroupArn!))[T2] === 'healthy', 10_000, 20);
    const early: string[] = [];
    for (let i = 0; i < 40; i++) early.push(await (await fetch(`${s.url}/`)).text());
    const toNew = early.filter((b) => b === 'two').length;
    assert.ok(toNew <= 10, `in its first moments the new target got ${toNew} of 40 (round robin alone: 20)`);
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    const later: string[] = [];
    for (let i = 0; i < 40; i++) later.push(await (await fetch(`${s.url}/`)).text());
    assert.equal(later.filter((b) => b === 'two').length, 20, 'after the slow start: round robin, an equal share');
  });

  it('least_outstanding_requests: a target holding a request in flight gets no more while another is free', async () => {
    const l = await alb('lor');
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: l.tg.TargetGroupArn, Attributes: [{ Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: l.tg.TargetGroupArn, Targets: [{ Id: T1, Port: portOf(targets[0].server) }, { Id: T2, Port: portOf(targets[1].server) }] }));
    await eventually('both healthy', async () => { const st = await states(l.tg.TargetGroupArn!); return st[T1] === 'healthy' && st[T2] === 'healthy'; });
    targets[0].hang = true;
    const abort = new AbortController();
    const hanging: Promise<unknown>[] = [];
    try {
      // Requests until one is held by target one (it never answers).
      const held = targets[0].seen.length;
      while (targets[0].seen.length === held) {
        hanging.push(fetch(`${l.url}/`, { signal: abort.signal }).catch(() => undefined));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const bodies: string[] = [];
      for (let i = 0; i < 6; i++) bodies.push(await (await fetch(`${l.url}/`, { signal: AbortSignal.timeout(5_000) })).text());
      assert.deepEqual(bodies, Array(6).fill('two'), 'round robin would have sent half of them to the busy target');
    } finally {
      targets[0].hang = false;
      abort.abort();
      await Promise.all(hanging);
    }
  });

  it('counts requests and target response codes for CloudWatch', async () => {
    const running = (h.berth.services as unknown as { elasticloadbalancing: ElbRunning }).elasticloadbalancing;
    const data = await running.dataPlane!.metrics.flush();
    const rr = data.filter((d) => d.Dimensions.some((x) => x.Name === 'LoadBalancer' && x.Value.startsWith('app/rr/')));
    const sum = (name: string, dims: number) => rr.filter((d) => d.MetricName === name && d.Dimensions.length === dims).reduce((s, d) => s + (d.Value ?? 0), 0);
    assert.ok(sum('RequestCount', 1) >= 11, `RequestCount ${sum('RequestCount', 1)}`);
    assert.equal(sum('HTTPCode_Target_2XX_Count', 1), sum('RequestCount', 1));
    assert.equal(sum('HealthyHostCount', 2), 1);
    assert.ok(rr.some((d) => d.MetricName === 'TargetResponseTime' && d.StatisticValues!.SampleCount >= 11));
    const errors = data.filter((d) => d.MetricName === 'HTTPCode_ELB_5XX_Count' && d.Dimensions[0].Value.startsWith('app/errors/'));
    assert.ok((errors[0]?.Value ?? 0) >= 2);
  });
});

// Agents on other hosts, across real network boundaries (root only; CI has it): two network
// namespaces with veth links to the host, the server on the host (--host 0.0.0.0, TLS,
// --advertise-url), a Berth agent (`berth agent`, simulated runtime) inside each namespace via
// `ip netns exec`. Partitions are iptables drops (src/testing/netns.ts).
//
// "Copies actually running" come from each agent's own local view: its state.json, which the
// agent rewrites (atomically) after every change of a task's containers in its runtime — read
// from the shared filesystem, so a sample needs no network and a partition cannot hide it.
// Sampled every second throughout; every sample must be ≤ the desired count (self-fencing: the
// cut-off agent stops its copies at lost-after, the server replaces them only at lost-after + the
// fence margin, so the documented overlap is 0 copies).
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand,
  RegisterTaskDefinitionCommand, type Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ActivityLog, LogFields } from '../common/activity-log.js';
import { startBerth, type Berth } from '../server/berth.js';
import { eventually } from '../testing/eventually.js';
import { connectionsTo, createHost, heal, lockHosts, netHost, netnsMissing, partition, removeHost, type NetHost } from '../testing/netns.js';
import { BERTH_BIN, freePort } from '../testing/processes.js';
import { requirement } from '../testing/requirements.js';
import { makeCertificates } from '../testing/tls-fixture.js';
import type { AgentStateData } from './state-file.js';

const GRACE_S = 9;
const LOST_AFTER_S = 30;
const DESIRED = 6;
/** The documented overlap: copies above the desired count a partition may cause (README). */
const OVERLAP = 0;

interface Line { t: number; text: string }
interface AgentProc { host: NetHost; child: ChildProcess; lines: Line[]; stateDir: string; instanceArn?: string }
interface Sample { t: number; local: Record<string, number> }

/** Active copies of the service in the agent's own view: tasks with a container its runtime runs. */
function localRunning(stateDir: string): number {
  const file = join(stateDir, 'state.json');
  if (!existsSync(file)) return 0;
  const data = JSON.parse(readFileSync(file, 'utf8')) as AgentStateData;
  return Object.values(data.tasks).filter((t) => t.desired.group === 'service:web' && t.containers.some((c) => c.known === 'RUNNING')).length;
}

describe('agents on other hosts (network namespaces, TLS, partitions)', requirement('network namespaces', netnsMissing), () => {
  const hosts = [netHost('a', 1), netHost('b', 2)];
  const [a, b] = hosts;
  const events: { t: number; event: string; fields?: LogFields }[] = [];
  const log: ActivityLog = { debug() {}, info: (event, fields) => { events.push({ t: Date.now(), event, fields }); }, warn() {}, error() {} };
  const agents: AgentProc[] = [];
  const samples: Sample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let dir: string;
  let berth: Berth;
  let ecs: ECSClient;
  let httpsAgent: HttpsAgent;
  let port: number;
  const numbers: Record<string, number | string> = {};

  const agentOf = (h: NetHost) => agents.find((x) => x.host === h)!;
  const idOf = (arn: string) => arn.split('/').pop()!;
  const eventFor = (name: string, h: NetHost, since: number) =>
    events.find((e) => e.t >= since && e.event === name && e.fields?.instance === idOf(agentOf(h).instanceArn!));
  const lineAfter = (h: NetHost, re: RegExp, since: number) => agentOf(h).lines.find((l) => l.t >= since && re.test(l.text));
  const sample = () => samples.push({ t: Date.now(), local: Object.fromEntries(agents.map((x) => [x.host.name, localRunning(x.stateDir)])) });
  const total = (s: Sample) => Object.values(s.local).reduce((x, y) => x + y, 0);
  const during = (from: number, to: number) => samples.filter((s) => s.t >= from && s.t <= to);

  const serviceTasks = async (): Promise<Task[]> => {
    const arns = [
      ...(await ecs.send(new ListTasksCommand({ cluster: 'p', serviceName: 'web', desiredStatus: 'RUNNING' }))).taskArns ?? [],
      ...(await ecs.send(new ListTasksCommand({ cluster: 'p', serviceName: 'web', desiredStatus: 'STOPPED' }))).taskArns ?? [],
    ];
    return arns.length ? (await ecs.send(new DescribeTasksCommand({ cluster: 'p', tasks: arns }))).tasks ?? [] : [];
  };
  /** Desired RUNNING and RUNNING, as the API shows them. */
  const runningArns = async () => (await serviceTasks()).filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING').map((t) => t.taskArn!).sort();
  /** Not STOPPED yet (a superseded copy counts until its agent reports it stopped). */
  const liveArns = async () => (await serviceTasks()).filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.taskArn!).sort();
  const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  function startAgent(h: NetHost, zone: string): AgentProc {
    const stateDir = join(dir, `agent-${h.name}`);
    const child = spawn('ip', ['netns', 'exec', h.ns, process.execPath, BERTH_BIN, 'agent', '--cluster', 'p',
      '--endpoint', `https://${h.hostIp}:${port}`, '--ca', join(dir, 'ca.pem'), '--runtime', 'simulated', '--ip', h.ip,
      '--az', zone, '--cpu', '4096', '--memory', '8192', '--state-dir', stateDir], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: AgentProc = { host: h, child, lines: [], stateDir };
    let rest = '';
    const onData = (d: Buffer) => {
      const parts = (rest + d.toString('utf8')).split('\n');
      rest = parts.pop()!;
      for (const text of parts) {
        proc.lines.push({ t: Date.now(), text });
        const m = /(arn:aws:ecs:[^ ]+:container-instance\/[^ ]+) \(/.exec(text);
        if (m && !proc.instanceArn) proc.instanceArn = m[1];
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    agents.push(proc);
    return proc;
  }

  let unlock: (() => void) | undefined;

  before(async () => {
    unlock = await lockHosts();
    for (const h of hosts) createHost(h);
    dir = mkdtempSync(join(tmpdir(), 'berth-netns-'));
    const tls = makeCertificates(dir, { ips: [...hosts.map((h) => h.hostIp), '127.0.0.1'] });
    port = await freePort('0.0.0.0');
    berth = await startBerth({
      host: '0.0.0.0', port, insecure: true, store: 'memory://', log, tls: { cert: tls.cert, key: tls.key },
      // Every agent is told to use host a's link address (reachable from b through the host too).
      publicUrl: `https://${a.hostIp}:${port}`,
      config: { ecs: { agentGraceSeconds: GRACE_S, lostAfterSeconds: LOST_AFTER_S, scheduler: { intervalMs: 500 } } },
    });
    httpsAgent = new HttpsAgent({ ca: tls.ca, keepAlive: true });
    ecs = new ECSClient({ endpoint: `https://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1, requestHandler: { httpsAgent } });
    await ecs.send(new CreateClusterCommand({ clusterName: 'p' }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 32, command: ['httpd', '-f'] }] }));
    startAgent(a, 'us-east-1a');
    startAgent(b, 'us-east-1b');
    sampler = setInterval(sample, 1000);
  });

  after(async () => {
    clearInterval(sampler);
    for (const x of agents) {
      if (x.child.exitCode === null && x.child.signalCode === null) {
        const exited = new Promise((resolve) => x.child.once('exit', resolve));
        x.child.kill('SIGTERM');
        await Promise.race([exited, hold(10_000)]);
        if (x.child.exitCode === null) x.child.kill('SIGKILL');
      }
    }
    ecs?.destroy();
    httpsAgent?.destroy();
    await berth?.close();
    for (const h of hosts) removeHost(h);
    unlock?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`# netns numbers: ${JSON.stringify(numbers)}`);
  });

  it('agents in other namespaces connect over TLS to the advertised address; a 6-task service spreads over both', async () => {
    for (const h of hosts) {
      await eventually(`agent ${h.name} connected`, () => agentOf(h).instanceArn && berth.services.ecs.acs.sessions.has(agentOf(h).instanceArn!), 60_000);
      // Its websocket (the advertised URL) goes to host a's address, whatever endpoint it was started with.
      await eventually(`agent ${h.name}'s websocket to ${a.hostIp}`, () => connectionsTo(h, `${a.hostIp}:${port}`) >= 1);
    }
    await ecs.send(new CreateServiceCommand({ cluster: 'p', serviceName: 'web', taskDefinition: 'web', desiredCount: DESIRED }));
    await eventually('6 RUNNING, 3 on each host', async () => (await runningArns()).length === DESIRED
      && localRunning(agentOf(a).stateDir) === 3 && localRunning(agentOf(b).stateDir) === 3, 60_000);
  });

  it('a 10 s partition of one host changes nothing', async () => {
    const before = await runningArns();
    const cut = Date.now();
    partition(a, 'full');
    await hold(10_000); // the partition's length: what is asserted is what the samples saw during it
    heal(a);
    const healed = Date.now();
    await eventually('agent a back after the short partition', () => eventFor('agent.connected', a, cut), 30_000);
    numbers.shortPartitionReconnectMs = eventFor('agent.connected', a, cut)!.t - healed;
    assert.deepEqual(await runningArns(), before, 'the same 6 tasks, none superseded or replaced');
    assert.equal(lineAfter(a, /self-fencing/, cut), undefined, 'the agent did not fence');
    for (const s of during(cut, Date.now())) assert.equal(total(s), DESIRED, `sample at +${s.t - cut} ms: ${JSON.stringify(s.local)}`);
  });

  it('a half-open partition (the agent can send, cannot receive) is detected by both sides within the grace period', async () => {
    const cut = Date.now();
    partition(a, 'half-open');
    try {
      // The server ends the session on its own silence check (agent.silent), or on the agent's FIN
      // when the agent gives up first: a FIN still gets through (the agent can send), at once if
      // the agent had nothing unacknowledged in flight (e.g. a session opened just before the cut),
      // else behind its retransmissions. Either way the session is gone within the grace period.
      const server = await eventually('the server ends the session', () => eventFor('agent.silent', a, cut) ?? eventFor('agent.disconnected', a, cut), 30_000);
      const agent = await eventually('the agent gives up on the connection', () => lineAfter(a, /acs: nothing heard for/, cut), 30_000);
      numbers.halfOpenServerDetectMs = server.t - cut;
      numbers.halfOpenServerEndedBy = server.event;
      numbers.halfOpenAgentDetectMs = agent.t - cut;
      assert.ok(server.t - cut <= GRACE_S * 1000, `server noticed after ${server.t - cut} ms`);
      assert.ok(agent.t - cut <= GRACE_S * 1000, `agent noticed after ${agent.t - cut} ms`);
    } finally { heal(a); }
    const healed = Date.now();
    await eventually('agent a back after the half-open partition', () => eventFor('agent.connected', a, healed), 30_000);
    numbers.halfOpenReconnectMs = eventFor('agent.connected', a, healed)!.t - healed;
    await eventually('6 RUNNING', async () => (await runningArns()).length === DESIRED);
  });

  it(`a ${90} s partition: copies ≤ 6 at every sample, 6 RUNNING again within lost-after + a few seconds, exactly 6 within 10 s of healing`, async () => {
    const before = await runningArns();
    const onA = localRunning(agentOf(a).stateDir);
    const cut = Date.now();
    partition(a, 'full');
    let backAt: number | undefined;
    try {
      // 6 RUNNING again through the API (replacements on b), and 6 in b's own view (+ 0 left on a).
      await eventually('6 RUNNING again without host a', async () => {
        const running = await runningArns();
        return running.length === DESIRED && running.some((arn) => !before.includes(arn))
          && localRunning(agentOf(b).stateDir) === DESIRED && localRunning(agentOf(a).stateDir) === 0;
      }, 80_000, 200);
      backAt = Date.now();
      const fence = lineAfter(a, new RegExp(`self-fencing: stopped ${onA} task`), cut);
      assert.ok(fence, 'the cut-off agent fenced its copies');
      numbers.fencedAfterMs = fence.t - cut;
      numbers.backToSixRunningMs = backAt - cut;
      assert.ok(backAt - cut <= (LOST_AFTER_S + 10) * 1000, `6 RUNNING again after ${backAt - cut} ms`);
      await hold(Math.max(0, cut + 90_000 - Date.now())); // the partition lasts 90 s
    } finally { heal(a); }
    const healed = Date.now();
    const samplesDuring = during(cut, healed);
    numbers.partitionSamples = samplesDuring.length;
    numbers.maxCopiesDuringPartition = Math.max(...samplesDuring.map(total));
    numbers.minCopiesDuringPartition = Math.min(...samplesDuring.map(total));
    for (const s of samplesDuring) assert.ok(total(s) <= DESIRED + OVERLAP, `sample at +${s.t - cut} ms: ${JSON.stringify(s.local)}`);
    assert.ok(samplesDuring.length >= 85, `sampled every second (${samplesDuring.length} samples)`);

    await eventually('exactly 6 after healing: the superseded copies reported STOPPED', async () =>
      (await liveArns()).length === DESIRED && localRunning(agentOf(a).stateDir) + localRunning(agentOf(b).stateDir) === DESIRED
      && eventFor('agent.connected', a, healed), 30_000, 100);
    numbers.exactlySixAfterHealMs = Date.now() - healed;
    numbers.reconnectAfterHealMs = eventFor('agent.connected', a, healed)!.t - healed;
    assert.ok(Date.now() - healed <= 10_000, `exactly 6 only ${Date.now() - healed} ms after healing`);
    for (const s of during(healed, Date.now())) assert.ok(total(s) <= DESIRED + OVERLAP, `after healing: ${JSON.stringify(s.local)}`);
    const services = await ecs.send(new DescribeServicesCommand({ cluster: 'p', services: ['web'] }));
    assert.equal(services.services![0].runningCount, DESIRED);
  });
});

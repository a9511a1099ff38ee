// The docker runtime's wire behaviour against a scripted engine on a unix socket (no Docker
// needed): the create body for every ContainerSpec field, DOCKER_HOST, engine error messages,
// pull-stream failures, and the event stream's reconnect with `since` and de-duplication.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDockerHost } from './docker-api.js';
import { DockerRuntime } from './docker.js';
import { testSpec } from './test-spec.js';
import type { RuntimeEvent } from './types.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

describe('docker runtime wire protocol (scripted engine)', () => {
  let dir: string;
  let server: http.Server;
  let handler: Handler;
  const requests: { method: string; url: string; body: string }[] = [];
  let rt: DockerRuntime;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-fake-docker-'));
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, body });
        handler(req, body, res);
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'docker.sock'), r));
    rt = new DockerRuntime({ host: `unix://${join(dir, 'docker.sock')}`, events: { retryMs: 5, maxRetryMs: 20 } });
  });
  after(async () => {
    await rt.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const json = (res: http.ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };

  it('parses DOCKER_HOST', () => {
    assert.deepEqual(parseDockerHost(undefined), { socketPath: '/var/run/docker.sock' });
    assert.deepEqual(parseDockerHost('unix:///run/user/1000/docker.sock'), { socketPath: '/run/user/1000/docker.sock' });
    assert.deepEqual(parseDockerHost('tcp://10.0.0.5:2375'), { host: '10.0.0.5', port: 2375 });
    assert.throws(() => parseDockerHost('npipe:////./pipe/docker_engine'), /unsupported DOCKER_HOST/);
  });

  it('maps every ContainerSpec field onto the create body', async () => {
    handler = (_req, _body, res) => json(res, 201, { Id: 'c1', Warnings: [] });
    requests.length = 0;
    const id = await rt.create(testSpec('ecs-web-1-app-abc', {
      image: 'registry.local:5000/team/app:1.2',
      command: ['serve', '--port', '80'],
      entryPoint: ['/bin/app'],
      environment: { A: '1', B: 'two=2' },
      workingDirectory: '/srv',
      user: '1000:1000',
      memory: 512,
      memoryReservation: 128,
      cpu: 1,
      networkMode: 'awsvpc',
      portBindings: [
        { containerPort: 80, hostPort: 0, protocol: 'tcp', hostIp: '10.0.0.7' },
        { containerPort: 53, hostPort: 5353, protocol: 'udp', hostIp: '0.0.0.0' },
      ],
      mounts: [{ source: '/var/data', target: '/data', readOnly: true }, { source: 'cache', target: '/cache', readOnly: false }, { source: '', target: '/scratch', readOnly: false }],
      volumesFrom: [{ sourceContainer: 'ecs-web-1-sidecar-abc', readOnly: true }],
      links: ['ecs-web-1-db-abc:db'],
      hostname: 'web',
      extraHosts: [{ hostname: 'db.internal', ipAddress: '10.1.2.3' }],
      ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
      privileged: true,
      readonlyRootFilesystem: true,
      labels: { 'com.amazonaws.ecs.cluster': 'default' },
      healthCheck: { command: ['CMD-SHELL', 'curl -f localhost'], interval: 5, timeout: 2, retries: 3, startPeriod: 10 },
      stopTimeout: 45,
    }));
    assert.equal(id, 'c1');
    const [req] = requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/containers/create?name=ecs-web-1-app-abc');
    assert.deepEqual(JSON.parse(req.body), {
      Image: 'registry.local:5000/team/app:1.2',
      Cmd: ['serve', '--port', '80'],
      Entrypoint: ['/bin/app'],
      Env: ['A=1', 'B=two=2'],
      WorkingDir: '/srv',
      User: '1000:1000',
      Hostname: 'web',
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Volumes: { '/scratch': {} },
      Labels: { 'com.amazonaws.ecs.cluster': 'default' },
      Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 5e9, Timeout: 2e9, Retries: 3, StartPeriod: 10e9 },
      StopTimeout: 45,
      HostConfig: {
        Memory: 512 * 1024 * 1024,
        MemoryReservation: 128 * 1024 * 1024,
        CpuShares: 2,
        NetworkMode: 'bridge',
        PortBindings: { '80/tcp': [{ HostIp: '10.0.0.7', HostPort: '' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }] },
        Binds: ['/var/data:/data:ro', 'cache:/cache'],
        VolumesFrom: ['ecs-web-1-sidecar-abc:ro'],
        Links: ['ecs-web-1-db-abc:db'],
        ExtraHosts: ['db.internal:10.1.2.3'],
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 4096 }],
        Privileged: true,
        ReadonlyRootfs: true,
      },
    });
  });

  it('publishes no ports in host and none network modes, and leaves unset fields to the image', async () => {
    handler = (_req, _body, res) => json(res, 201, { Id: 'c2' });
    requests.length = 0;
    await rt.create(testSpec('h', { networkMode: 'host', portBindings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp', hostIp: '0.0.0.0' }] }));
    const body = JSON.parse(requests[0].body);
    assert.deepEqual(body.HostConfig.PortBindings, {});
    assert.deepEqual(body.ExposedPorts, { '80/tcp': {} });
    assert.equal(body.HostConfig.NetworkMode, 'host');
    for (const k of ['Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Hostname', 'Healthcheck', 'Volumes']) assert.equal(k in body, false, k);
    for (const k of ['Memory', 'MemoryReservation']) assert.equal(k in body.HostConfig, false, k);
  });

  it('reads actual ports, states and times back from inspect', async () => {
    handler = (_req, _body, res) => json(res, 200, {
      Id: 'c3', Name: '/app',
      State: { Status: 'running', ExitCode: 0, OOMKilled: false, StartedAt: '2026-01-01T00:00:01.5Z', FinishedAt: '0001-01-01T00:00:00Z', Health: { Status: 'starting' } },
      Config: { Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {} } },
      HostConfig: { NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }] } },
    });
    assert.deepEqual(await rt.inspect('c3'), {
      id: 'c3', name: 'app', state: 'running', oomKilled: false, health: 'starting',
      startedAt: new Date('2026-01-01T00:00:01.500Z'),
      portBindings: [{ containerPort: 80, hostPort: 49153, protocol: 'tcp', hostIp: '127.0.0.1' }],
      labels: { a: 'b' },
    });
    // `docker rm -f` of a running container: killed (exit 137) while already marked for removal.
    handler = (_req, _body, res) => json(res, 200, {
      Id: 'c3', Name: '/app', State: { Status: 'removing', ExitCode: 137, OOMKilled: false },
      Config: {}, HostConfig: {}, NetworkSettings: {},
    });
    assert.equal(await rt.inspect('c3'), undefined, 'a container being removed is gone, not exited');
  });

  it('carries the engine message in errors, and treats 404 as absent where that is the answer', async () => {
    handler = (req, _body, res) => {
      if (req.url!.startsWith('/containers/gone')) return json(res, 404, { message: 'No such container: gone' });
      json(res, 500, { message: 'driver failed programming external connectivity: port is already allocated' });
    };
    await assert.rejects(rt.start('c4'), (err: Error & { status?: number }) =>
      err.status === 500 && err.message === 'driver failed programming external connectivity: port is already allocated');
    assert.equal(await rt.inspect('gone'), undefined);
    await rt.remove('gone');
    await assert.rejects(rt.stop('gone', 10), /No such container: gone/);
  });

  it('turns an error line in the pull stream into CannotPullContainerError', async () => {
    requests.length = 0;
    handler = (req, _body, res) => {
      if (req.url!.startsWith('/images/create')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"status":"Pulling from team/app","id":"1.2"}\n');
        res.end('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n');
        return;
      }
      json(res, 404, { message: 'no such image' });
    };
    await assert.rejects(rt.pullImage('registry.local:5000/team/app:1.2', 'default'), (err: Error) =>
      err.message === 'CannotPullContainerError: Error response from daemon: manifest unknown');
    assert.equal(requests[0].url, '/images/create?fromImage=registry.local%3A5000%2Fteam%2Fapp&tag=1.2');
  });

  it('reconnects a broken event stream from the last event, without repeating it', async () => {
    const at = 1_767_225_600_000_000_000n;
    const line = (id: string, action: string, nano: bigint, attrs: Record<string, string> = {}) =>
      `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: { name: `n-${id}`, ...attrs } }, time: Number(nano / 1_000_000_000n), timeNano: '@' })}\n`
        .replace('"@"', nano.toString());
    const eventRequests: string[] = [];
    handler = (req, _body, res) => {
      eventRequests.push(req.url!);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (eventRequests.length === 1) {
        res.write(line('a', 'start', at));
        setTimeout(() => res.socket?.destroy(), 20); // the engine goes away
      } else {
        res.write(line('a', 'start', at)); // replayed because of `since`
        res.write(line('a', 'die', at + 5n, { exitCode: '3' }));
        res.write(line('a', 'health_status: unhealthy', at + 6n));
        res.write(line('a', 'exec_start: sh', at + 7n));
      }
    };
    const seen: RuntimeEvent[] = [];
    const errors: Error[] = [];
    const watcher = new DockerRuntime({ host: `unix://${join(dir, 'docker.sock')}`, events: { retryMs: 5, onError: (e) => errors.push(e) } });
    const off = watcher.events((e) => seen.push(e));
    const deadline = Date.now() + 10_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    off();
    await watcher.close();
    assert.deepEqual(seen, [
      { id: 'a', name: 'n-a', type: 'start' },
      { id: 'a', name: 'n-a', type: 'die', exitCode: 3 },
      { id: 'a', name: 'n-a', type: 'health', health: 'unhealthy' },
    ]);
    assert.ok(errors.length >= 1);
    const first = new URL(eventRequests[0], 'http://x').searchParams;
    const second = new URL(eventRequests[1], 'http://x').searchParams;
    assert.deepEqual(JSON.parse(first.get('filters')!), { type: ['container'], event: ['start', 'die', 'oom', 'health_status', 'destroy'] });
    assert.ok(Math.abs(Number(first.get('since')) * 1000 - Date.now()) < 600_000, 'the first connection asks from the subscription on');
    assert.match(second.get('since')!, /^1767225599\.9999|^1767225600\.0000/);
  });
});

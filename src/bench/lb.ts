// `npm run bench:lb`: an ALB listener of Berth in front of 2 targets, against the same targets hit
// directly and against nginx as a reverse proxy configured the same way (HTTP/1.1 keep-alive to the
// upstreams, round robin, X-Forwarded-For, one worker process like Berth's one event loop), all in
// one run with the same load generator (wrk; BENCH_CONNECTIONS, BENCH_SECONDS tune it). Berth runs
// as a child process (`berth server`), each target in its own process. Prints requests/s, p50/p99
// and the ALB's ratios against nginx and its added latency against the direct targets.
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBerth } from '../testing/child-server.js';
import { credentials } from '../testing/harness.js';
import { machineInfo } from './targets.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const POOL = process.env.BENCH_LB_POOL ?? '127.0.40.64/28';
const TARGET_IPS = ['127.0.40.80', '127.0.40.81'];
const NGINX_IP = '127.0.40.90';
const PORT = 8080;

const TARGET_SCRIPT = `
const http = require('node:http');
const [ip, port, name] = process.argv.slice(1);
const body = Buffer.from('hello from ' + name + '\\n');
http.createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
}).listen(Number(port), ip, () => console.log('ready'));`;

function startTarget(ip: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', TARGET_SCRIPT, ip, String(PORT), name], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`target ${name} exited with ${code}`)));
  });
}

function startNginx(dir: string): Promise<ChildProcess> {
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream targets { ${TARGET_IPS.map((ip) => `server ${ip}:${PORT};`).join(' ')} keepalive 64; }
  server {
    listen ${NGINX_IP}:${PORT};
    keepalive_requests 100000;
    location / {
      proxy_pass http://targets;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}`);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nginx exited with ${code}`)));
    const poll = async () => {
      try { await (await fetch(`http://${NGINX_IP}:${PORT}/`)).text(); resolve(child); } catch { setTimeout(poll, 100); }
    };
    void poll();
  });
}

interface Result { name: string; rps: number; p50: number; p99: number; errors: number }

/** wrk's number with a unit → milliseconds. */
const ms = (v: string) => { const m = /^([\d.]+)(us|ms|s)$/.exec(v)!; return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's']); };

function wrk(name: string, url: string, connections = CONNECTIONS): Result {
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${SECONDS}s`, '--latency', url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk ${url}: ${r.stderr || r.stdout}`);
  const out = r.stdout;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    name, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: ms(/\s50%\s+(\S+)/.exec(out)![1]), p99: ms(/\s99%\s+(\S+)/.exec(out)![1]),
    errors: non2xx + (socketErrors ? socketErrors.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
  };
}

async function main() {
  for (const tool of ['wrk', 'nginx']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (apt-get install -y ${tool})`);
  }
  console.log(machineInfo());
  console.log(`load: wrk, 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run\n`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-lb-'));
  const children: ChildProcess[] = [];
  const berth = await spawnBerth({ store: 'memory://', extra: ['--elb-address-pool', POOL] });
  const elb = new ElasticLoadBalancingV2Client({ endpoint: berth.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    for (const [i, ip] of TARGET_IPS.entries()) children.push(await startTarget(ip, `target-${i + 1}`));
    children.push(await startNginx(dir));
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'bench', Subnets: ['subnet-0a1', 'subnet-0b2'] }))).LoadBalancers![0];
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'bench', Protocol: 'HTTP', Port: PORT, VpcId: 'vpc-1', TargetType: 'ip',
      HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))).TargetGroups![0];
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: TARGET_IPS.map((Id) => ({ Id })) }));
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: PORT, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    for (;;) {
      const d = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions ?? [];
      if (d.length === 2 && d.every((x) => x.TargetHealth?.State === 'healthy')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const alb = `http://${lb.DNSName}:${PORT}/`;
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add(await (await fetch(alb)).text());
    if (bodies.size !== 2) throw new Error(`the ALB did not reach both targets: ${[...bodies].join(', ')}`);

    // Warm every path, then measure.
    for (const url of [`http://${TARGET_IPS[0]}:${PORT}/`, `http://${NGINX_IP}:${PORT}/`, alb]) spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, '-d2s', url]);
    const results = [
      wrk('direct (target 1)', `http://${TARGET_IPS[0]}:${PORT}/`),
      wrk('nginx → 2 targets', `http://${NGINX_IP}:${PORT}/`),
      wrk('Berth ALB → 2 targets', alb),
    ];
    console.log('                         requests/s      p50        p99    errors');
    for (const r of results) {
      console.log(`${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(8)} ms ${r.p99.toFixed(2).padStart(7)} ms ${String(r.errors).padStart(6)}`);
    }
    // Added latency without queueing: one connection, one request at a time.
    const single = [
      wrk('direct (target 1)', `http://${TARGET_IPS[0]}:${PORT}/`, 1),
      wrk('nginx → 2 targets', `http://${NGINX_IP}:${PORT}/`, 1),
      wrk('Berth ALB → 2 targets', alb, 1),
    ];
    console.log('\none connection              requests/s      p50        p99    errors');
    for (const r of single) {
      console.log(`${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(8)} ms ${r.p99.toFixed(2).padStart(7)} ms ${String(r.errors).padStart(6)}`);
    }
    results.push(...single);
    const [direct, nginx, berthAlb, direct1, nginx1, berthAlb1] = results;
    console.log(`\nBerth ALB / nginx requests/s: ${(berthAlb.rps / nginx.rps).toFixed(2)} (goal ≥ 0.50)`);
    console.log(`added p50 vs direct, one connection: Berth ALB ${(berthAlb1.p50 - direct1.p50).toFixed(2)} ms (goal ≤ 1 ms), nginx ${(nginx1.p50 - direct1.p50).toFixed(2)} ms`);
    console.log(`added p99 vs direct, one connection: Berth ALB ${(berthAlb1.p99 - direct1.p99).toFixed(2)} ms, nginx ${(nginx1.p99 - direct1.p99).toFixed(2)} ms`);
    console.log(`added p50 vs direct, ${CONNECTIONS} connections (queueing included): Berth ALB ${(berthAlb.p50 - direct.p50).toFixed(2)} ms, nginx ${(nginx.p50 - direct.p50).toFixed(2)} ms`);
    if (results.some((r) => r.errors > 0)) throw new Error('some requests failed: see the errors column');
  } finally {
    elb.destroy();
    for (const c of children) c.kill('SIGTERM');
    await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

// `npm run bench:scale` (issue 8 point 5): what Berth's control plane costs as history grows, and
// its end-to-end throughput with a simulated fleet. Not run in CI (it takes minutes).
//  1. Read latency p50/p99 (16 clients) of the point-3 calls with BENCH_SIZES (default 1,000,
//     10,000, 100,000) stored task definition revisions and tasks (scale-populate.ts writes them
//     with their index keys into the SQLite file between server runs), Berth as a child process
//     on that file; the same calls on moto_server with 10,000 revisions registered through its
//     API, in the same run, alternating with Berth's (scale-reads-phase.ts; moto holds no tasks:
//     it needs EC2 instances behind container instances, so task rows are Berth-only). Server
//     RSS and CPU time per request at each size.
//  2. RunTask end to end (count 10, 16 clients) on a fleet of BENCH_FLEET (1,000) simulated
//     instances (`berth agent --runtime simulated --fleet N`, a second child process): tasks
//     acknowledged (placed and written) per second, and the server's CPU meanwhile, after a first
//     wave of BENCH_RUNTASK_WARMUP (16, one per client) calls timed apart (cold code, new
//     connections); BENCH_RUNTASK_CALLS (300) measured calls; BENCH_RUNTASK_STRATEGY=spread spreads
//     each call's tasks on instanceId (10 agents a call, not the first with room). BENCH_FREEZE=1
//     pauses the fleet during the calls: the launch path alone, without the agents' reports.
//  3. BENCH_SERVICE_TASKS (10,000) service tasks on that fleet (services of at most 5,000, ECS's
//     limit per service): seconds until their runningCounts add up to it; then every
//     instance's remaining resources are checked non-negative.
// BENCH_KEEP=1 keeps the data directory (SQLite files) for inspection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFleet, type FleetResult } from './scale-fleet.js';
import { ms } from './scale-measure.js';
import { readsPhase } from './scale-reads-phase.js';
import { machineInfo } from './targets.js';

function printFleet(f: FleetResult) {
  console.log(`\nfleet: ${f.instances} simulated instances registered in ${f.registerSeconds.toFixed(1)} s (fleet process RSS ${f.fleetRss.toFixed(0)} MiB)`);
  console.log(`RunTask count 10${f.runTask.spread ? ', spread on instanceId' : ''}, 16 clients: ${f.runTask.tasks} tasks acknowledged in ${f.runTask.seconds.toFixed(2)} s = ${f.runTask.perSecond.toFixed(0)} tasks/s`
    + ` (p50 ${ms(f.runTask.p50)} ms, p99 ${ms(f.runTask.p99)} ms per call); server CPU meanwhile ${f.runTask.windowCpuPer1000.toFixed(2)} s per 1,000 tasks`
    + (f.runTask.frozen ? ' (fleet paused: no reports)' : ''));
  const w = f.runTask.warmup;
  console.log(`  before them, unmeasured: a cold first wave of ${w.calls} calls (${w.tasks} tasks) took ${w.seconds.toFixed(2)} s;`
    + ` counted in, ${((f.runTask.tasks + w.tasks) / (f.runTask.seconds + w.seconds)).toFixed(0)} tasks/s`);
  console.log(`  ${f.started.reached ? 'all RUNNING' : 'NOT all RUNNING (gave up)'} after ${f.started.seconds.toFixed(1)} s; CPU per 1,000 tasks placed, started and reported:`
    + ` fleet ${f.started.fleetCpuPer1000.toFixed(2)} s, server ${f.started.serverCpuPer1000.toFixed(2)} s`
    + ` (the idle fleet before: ${(f.started.fleetIdleShare * 100).toFixed(1)}% of a core, so`
    + ` ${(f.started.fleetCpuPer1000 - (f.started.fleetIdleShare * f.started.seconds * 1000) / f.runTask.tasks).toFixed(2)} s above idle)`);
  const r = f.runTask.reports;
  if (r) {
    console.log(`  the reports alone (fleet resumed until all RUNNING, ${r.seconds.toFixed(1)} s): server ${r.serverCpuPer1000.toFixed(2)} s per 1,000 tasks`
      + ` (the idle server before: ${(r.serverIdleShare * 100).toFixed(1)}% of a core, so ${(r.serverCpuPer1000 - (r.serverIdleShare * r.seconds * 1000) / f.runTask.tasks).toFixed(2)} s above idle)`);
  }
  console.log(f.service.reached
    ? `service tasks (${f.service.desired}, in services of at most 5,000): runningCounts add up to ${f.service.desired} after ${f.service.seconds.toFixed(1)} s`
    : `service tasks (${f.service.desired}, in services of at most 5,000): runningCount ${f.service.running} after ${f.service.seconds.toFixed(1)} s (gave up)`);
  console.log(`over-commit check: ${f.overCommitted === 0 ? 'no instance has negative remaining CPU or memory' : `${f.overCommitted} instances OVER-COMMITTED`}`);
  console.log(`server RSS after the fleet runs: ${f.serverRss.toFixed(0)} MiB`);
}

async function main() {
  console.log(machineInfo());
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-scale-'));
  try {
    const phases = (process.env.BENCH_PHASES ?? 'reads,fleet').split(',');
    if (phases.includes('reads')) await readsPhase(dir);
    if (phases.includes('fleet')) printFleet(await runFleet(dir));
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });

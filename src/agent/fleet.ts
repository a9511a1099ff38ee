// A simulated fleet in one process (issue 8): `berth agent --runtime simulated --fleet N` starts N
// agents, each a whole Agent (its own registration, container instance ARN, ACS websocket, task
// engine, state reporter and simulated runtime), so tasks start, run, stop and report as they
// do on real hosts. How users rehearse capacity, and how bench:scale reaches 1,000 instances.
//  - Addresses: agent i advertises 127.1.<i / 250>.<i % 250 + 1> (or from --ip as the first
//    address, counting up). The simulated runtime binds nothing on them: they are the instance's
//    identity (its host ports live in the runtime's own port table).
//  - Availability zones round-robin over --az (comma-separated; default <region>a,b,c).
//  - Sizes from --instance-type (or --cpu/--memory), the same for every agent.
//  - State dirs: <state-dir, default .berth/fleet-<cluster>>/agent-<ip>, so a restarted fleet
//    keeps its ARNs.
import { join } from 'node:path';
import { Agent, type AgentOptions } from './agent.js';

export interface FleetOptions extends AgentOptions {
  /** How many agents. */
  size: number;
  /** Agents registering at once (default 16). */
  concurrency?: number;
}

export interface Fleet {
  agents: Agent[];
  stop(): Promise<void>;
}

/** The address of agent i, counting up from `first` (default 127.1.0.1, 250 per third octet). */
export function fleetIp(i: number, first?: string): string {
  if (first) {
    const n = first.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + i;
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  }
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error(`fleet size must be a positive integer, not ${opts.size}`);
  if (opts.runtime !== 'simulated') throw new Error('a fleet runs the simulated runtime only (--runtime simulated)');
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const zones = (opts.availabilityZone ?? ['a', 'b', 'c'].map((z) => `${region}${z}`).join(',')).split(',').map((z) => z.trim()).filter(Boolean);
  const base = opts.stateDir ?? join('.berth', `fleet-${opts.cluster}`);
  const log = opts.log ?? ((line: string) => console.log(`agent: ${line}`));
  const agents: Agent[] = new Array<Agent>(opts.size);
  let next = 0;
  let failed: Error | undefined;
  const worker = async () => {
    while (next < opts.size && !failed) {
      const i = next++;
      const ip = fleetIp(i, opts.ip === '127.0.0.1' ? undefined : opts.ip);
      try {
        agents[i] = await Agent.start({
          ...opts, ip, region, availabilityZone: zones[i % zones.length], stateDir: join(base, `agent-${ip}`),
          // Simulated tasks do not outlive this process: their state is written at most once every
          // 5 seconds (the instance's identity at once), not on every change of every task (each
          // write holds all of the agent's tasks).
          stateCoalesceMs: opts.stateCoalesceMs ?? 5000,
          // The simulated runtime's events are delivered in-process and never missed: the full
          // reconcile (a step of every task, for a Docker event missed) is a slow safety net here.
          reconcileMs: opts.reconcileMs ?? 300_000,
          // One line per agent would drown the fleet's own: only agent 0 speaks.
          log: i === 0 ? log : () => {},
        });
      } catch (err) {
        failed = err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 16, opts.size) }, worker));
  const started = agents.filter(Boolean);
  const stop = async () => { await Promise.all(started.map((a) => a.stop())); };
  if (failed) {
    await stop();
    throw failed;
  }
  log(`fleet: ${opts.size} simulated agents in cluster ${opts.cluster} (${zones.join(', ')})`);
  return { agents, stop };
}

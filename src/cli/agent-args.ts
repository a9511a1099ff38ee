// `berth agent` flags → AgentOptions (validated, so a typo fails at start, not later).
import type { AgentOptions } from '../agent/agent.js';
import { knownInstanceTypes } from '../agent/instance-types.js';
import { readFileSync } from 'node:fs';
import { parseDurationSeconds } from '../common/duration.js';
import { parseAllowedBindMounts } from '../common/host-protection.js';
import { flag, flagList, type Args } from './args.js';

export const AGENT_HELP = `  berth agent --cluster NAME [options]   an agent (container instance) for a Berth server
    --endpoint http://127.0.0.1:4566       the server                (BERTH_ENDPOINT)
    --ca FILE                              PEM CA an https:// server's certificate is checked
                                           against, besides the system's roots  (BERTH_CA)
    --runtime docker|simulated             default: docker
    --ip 127.0.0.1                         address host ports bind on
    --instance-type t3.medium              size like an EC2 type, or --cpu 2048 --memory 3800
    --az us-east-1a                        availability zone          (default <region>a)
    --attribute key=value                  custom attribute (repeatable)
    --state-dir DIR                        default .berth/agent-<ip>/
    --fleet N                              N simulated agents in this process (--runtime simulated):
                                           addresses 127.1.0.1… (or from --ip), zones round-robin
                                           over --az a,b,c (comma-separated), state in
                                           <state-dir, default .berth/fleet-<cluster>>/agent-<ip>/
    --fence-standalone                     when cut off from the server for its lost-after,
                                           stop standalone tasks too (service tasks always)
    --telemetry-interval 20s               between container metric reports (TCS); shorter
                                           with a server at --time-scale (20s / N)
    Host protection (default as on EC2: all allowed; a multi-tenant deployment should set them):
    --disable-privileged                   refuse privileged containers (ECS_DISABLE_PRIVILEGED)
    --disable-host-network                 refuse networkMode host    (BERTH_DISABLE_HOST_NETWORK)
    --allowed-bind-mounts PATH[,PATH]      host bind mounts only under these paths; none: no host
                                           bind mounts at all         (BERTH_ALLOWED_BIND_MOUNTS)
    Tasks asking for what is refused fail placement on this instance (reason ATTRIBUTE).`;

/** --fleet N: how many simulated agents this process runs (undefined: one agent, not a fleet). */
export function fleetSizeFromArgs(args: Args): number | undefined {
  const v = flag(args, 'fleet');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 60_000) throw new Error(`--fleet must be an integer from 1 to 60000, not '${v}'`);
  if ((flag(args, 'runtime') ?? 'docker') !== 'simulated') throw new Error('--fleet needs --runtime simulated');
  return Number(v);
}

export function agentOptionsFromArgs(args: Args, version: string): AgentOptions {
  const cluster = flag(args, 'cluster');
  if (!cluster) throw new Error('berth agent needs --cluster NAME');
  const runtime = flag(args, 'runtime') ?? 'docker';
  if (runtime !== 'docker' && runtime !== 'simulated') throw new Error(`--runtime must be docker or simulated, not '${runtime}'`);
  const int = (name: string) => {
    const v = flag(args, name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new Error(`--${name} must be a positive integer, not '${v}'`);
    return Number(v);
  };
  const instanceType = flag(args, 'instance-type');
  const cpu = int('cpu');
  const memory = int('memory');
  if (instanceType && !knownInstanceTypes().includes(instanceType) && (cpu === undefined || memory === undefined)) {
    throw new Error(`unknown instance type '${instanceType}' (known: ${knownInstanceTypes().join(', ')}); or give --cpu and --memory`);
  }
  if ((cpu === undefined) !== (memory === undefined) && !instanceType) throw new Error('give both --cpu and --memory (or --instance-type)');
  const attributes: Record<string, string> = {};
  for (const a of flagList(args, 'attribute')) {
    const eq = a.indexOf('=');
    const [k, v] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, ''];
    if (!k) throw new Error(`--attribute must be key=value, not '${a}'`);
    attributes[k] = v;
  }
  const ca = flag(args, 'ca') ?? process.env.BERTH_CA;
  const interval = flag(args, 'telemetry-interval');
  const telemetrySeconds = interval === undefined ? undefined : parseDurationSeconds(interval, 'telemetry-interval');
  if (telemetrySeconds !== undefined && telemetrySeconds < 0.1) throw new Error('--telemetry-interval must be at least 100ms');
  const bindMountsFlag = flag(args, 'allowed-bind-mounts') ?? process.env.BERTH_ALLOWED_BIND_MOUNTS;
  const bindMounts = bindMountsFlag === undefined ? undefined : bindMountsFlag === 'none' ? [] : parseAllowedBindMounts(bindMountsFlag);
  for (const p of bindMounts ?? []) if (!p.startsWith('/')) throw new Error(`--allowed-bind-mounts takes absolute paths, not '${p}'`);
  if ((bindMounts ?? []).join(':').length > 128) throw new Error('--allowed-bind-mounts: at most 128 characters in all (an ECS attribute value)');
  if (bindMountsFlag !== undefined && bindMountsFlag !== 'none' && !bindMounts?.length) throw new Error('--allowed-bind-mounts needs PATH[,PATH] (or none)');
  const ip = flag(args, 'ip') ?? '127.0.0.1';
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new Error(`--ip must be an IPv4 address, not '${ip}'`);
  return {
    endpoint: flag(args, 'endpoint') ?? process.env.BERTH_ENDPOINT ?? 'http://127.0.0.1:4566',
    cluster, runtime, ip, instanceType, cpu, memory,
    availabilityZone: flag(args, 'az'),
    attributes,
    stateDir: flag(args, 'state-dir'),
    ...(telemetrySeconds !== undefined ? { telemetryPublishMs: telemetrySeconds * 1000 } : {}),
    ...(flag(args, 'disable-privileged') === 'true' || process.env.ECS_DISABLE_PRIVILEGED === 'true' ? { disablePrivileged: true } : {}),
    ...(ca ? { ca: readCa(ca) } : {}),
    ...(flag(args, 'fence-standalone') === 'true' ? { fenceStandalone: true } : {}),
    ...(flag(args, 'disable-host-network') === 'true' || process.env.BERTH_DISABLE_HOST_NETWORK === 'true' ? { disableHostNetwork: true } : {}),
    ...(bindMounts !== undefined ? { allowedBindMounts: bindMounts } : {}),
    version,
  };
}

function readCa(file: string): string {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new Error(`--ca ${file}: ${(err as Error).message}`); }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--ca ${file}: not a PEM certificate`);
  return text;
}

// `berth agent` flags → AgentOptions (validated, so a typo fails at start, not later).
import type { AgentOptions } from '../agent/agent.js';
import { knownInstanceTypes } from '../agent/instance-types.js';
import { readFileSync } from 'node:fs';
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
    --fence-standalone                     when cut off from the server for its lost-after,
                                           stop standalone tasks too (service tasks always)
    --disable-privileged                   refuse privileged containers: their tasks fail
                                           placement on this instance (ECS_DISABLE_PRIVILEGED)
    Default as on EC2: privileged allowed. A multi-tenant deployment should set it.`;

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
  const ip = flag(args, 'ip') ?? '127.0.0.1';
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new Error(`--ip must be an IPv4 address, not '${ip}'`);
  return {
    endpoint: flag(args, 'endpoint') ?? process.env.BERTH_ENDPOINT ?? 'http://127.0.0.1:4566',
    cluster, runtime, ip, instanceType, cpu, memory,
    availabilityZone: flag(args, 'az'),
    attributes,
    stateDir: flag(args, 'state-dir'),
    ...(flag(args, 'disable-privileged') === 'true' || process.env.ECS_DISABLE_PRIVILEGED === 'true' ? { disablePrivileged: true } : {}),
    ...(ca ? { ca: readCa(ca) } : {}),
    ...(flag(args, 'fence-standalone') === 'true' ? { fenceStandalone: true } : {}),
    version,
  };
}

function readCa(file: string): string {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new Error(`--ca ${file}: ${(err as Error).message}`); }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--ca ${file}: not a PEM certificate`);
  return text;
}

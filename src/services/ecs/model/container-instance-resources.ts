// Container instance resources, the way ECS counts them. Pure functions, shared by registration,
// the scheduler and the task applier.
//
// ECS's conventions (they differ per type, and PORTS is the surprising one):
// - CPU (units, 1024 per vCPU) and MEMORY (MiB) are INTEGER resources; `remainingResources` holds
//   what is still free: registered minus what the instance's tasks reserve.
// - PORTS / PORTS_UDP are STRINGSET resources listing ports that are TAKEN, in both lists:
//   `registeredResources` lists the reserved ports (22, 2375, 2376, 51678, 51679 for TCP), and
//   `remainingResources` lists those plus every host port a task holds. A port is free iff it is
//   not in the remaining set. (Real ECS shows exactly this; at registration both lists are equal.)
// - Any other resource the agent reports (GPU…) is kept as given.
import type { Resource } from '@aws-sdk/client-ecs';
import { invalidParameter } from './common.js';

/** Ports the ECS agent always reserves (ssh, docker, agent introspection and credentials). */
export const RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'] as const;

/** Used when the registration does not say: about what a 2 vCPU / 4 GiB instance (t3.medium) registers. */
export const DEFAULT_CPU = 2048;
export const DEFAULT_MEMORY = 3904;

const INTEGER_RESOURCES = ['CPU', 'MEMORY'];
const PORT_RESOURCES = ['PORTS', 'PORTS_UDP'];

/** What a task needs on an instance. */
export interface ResourceNeed { cpu?: number; memory?: number; ports?: number[]; portsUdp?: number[] }

/** The registered resources for a RegisterContainerInstance request's totalResources, validated. */
export function registeredResources(total: Resource[] | undefined): Resource[] {
  const given = new Map<string, Resource>();
  for (const r of total ?? []) {
    if (!r.name) throw invalidParameter('totalResources: every resource needs a name.');
    if (given.has(r.name)) throw invalidParameter(`totalResources: resource '${r.name}' is given more than once.`);
    given.set(r.name, r);
  }
  const out: Resource[] = [];
  for (const name of INTEGER_RESOURCES) {
    const r = given.get(name);
    const value = r ? integerOf(r) : name === 'CPU' ? DEFAULT_CPU : DEFAULT_MEMORY;
    out.push({ name, type: 'INTEGER', integerValue: value });
  }
  for (const name of PORT_RESOURCES) {
    const r = given.get(name);
    if (r && r.type !== undefined && r.type !== 'STRINGSET') {
      throw invalidParameter(`totalResources: ${name} must be of type STRINGSET, not '${r.type}'.`);
    }
    const ports = new Set((r?.stringSetValue ?? []).map((p) => checkPort(name, p)));
    if (name === 'PORTS') for (const p of RESERVED_PORTS) ports.add(p);
    out.push({ name, type: 'STRINGSET', stringSetValue: sortPorts([...ports]) });
  }
  for (const [name, r] of given) if (!INTEGER_RESOURCES.includes(name) && !PORT_RESOURCES.includes(name)) out.push(r);
  return out;
}

/** remainingResources after (re-)registration: what tasks held before is still held. With no
 *  previous record, remaining = registered. */
export function rebaseRemaining(registered: Resource[], previous?: { registered?: Resource[]; remaining?: Resource[] }): Resource[] {
  return registered.map((r) => {
    const oldTotal = previous?.registered?.find((o) => o.name === r.name);
    const oldLeft = previous?.remaining?.find((o) => o.name === r.name);
    if (r.type === 'INTEGER' && oldTotal && oldLeft) {
      const used = (oldTotal.integerValue ?? 0) - (oldLeft.integerValue ?? 0);
      return { ...r, integerValue: (r.integerValue ?? 0) - used };
    }
    if (r.type === 'STRINGSET' && PORT_RESOURCES.includes(r.name!) && oldLeft) {
      const reservedBefore = new Set(oldTotal?.stringSetValue ?? []);
      const heldByTasks = (oldLeft.stringSetValue ?? []).filter((p) => !reservedBefore.has(p));
      return { ...r, stringSetValue: sortPorts([...new Set([...(r.stringSetValue ?? []), ...heldByTasks])]) };
    }
    return structuredClone(r);
  });
}

/** An INTEGER resource's value (0 when absent). */
export const integerResource = (resources: Resource[] | undefined, name: string) =>
  resources?.find((r) => r.name === name)?.integerValue ?? 0;

/** The ports a STRINGSET port resource lists (in remainingResources: the ports taken). */
export const portsTaken = (resources: Resource[] | undefined, name: 'PORTS' | 'PORTS_UDP') =>
  new Set(resources?.find((r) => r.name === name)?.stringSetValue ?? []);

/** Why `need` does not fit into `remaining`, or undefined when it fits. */
export function whyNotFit(remaining: Resource[] | undefined, need: ResourceNeed): string | undefined {
  if ((need.cpu ?? 0) > integerResource(remaining, 'CPU')) return 'CPU';
  if ((need.memory ?? 0) > integerResource(remaining, 'MEMORY')) return 'MEMORY';
  const tcp = portsTaken(remaining, 'PORTS');
  if ((need.ports ?? []).some((p) => tcp.has(String(p)))) return 'PORTS';
  const udp = portsTaken(remaining, 'PORTS_UDP');
  if ((need.portsUdp ?? []).some((p) => udp.has(String(p)))) return 'PORTS_UDP';
  return undefined;
}

/** remainingResources after a task takes `need` (check whyNotFit first). */
export const reserveResources = (remaining: Resource[], need: ResourceNeed) => adjust(remaining, need, -1, []);

/** remainingResources after a task gives `need` back; ports the instance registered as reserved stay taken. */
export const releaseResources = (remaining: Resource[], need: ResourceNeed, registered: Resource[]) => adjust(remaining, need, +1, registered);

function adjust(remaining: Resource[], need: ResourceNeed, sign: 1 | -1, registered: Resource[]): Resource[] {
  return remaining.map((r) => {
    if (r.name === 'CPU') return { ...r, integerValue: (r.integerValue ?? 0) + sign * (need.cpu ?? 0) };
    if (r.name === 'MEMORY') return { ...r, integerValue: (r.integerValue ?? 0) + sign * (need.memory ?? 0) };
    const ports = r.name === 'PORTS' ? need.ports : r.name === 'PORTS_UDP' ? need.portsUdp : undefined;
    if (!ports?.length) return r;
    const set = new Set(r.stringSetValue ?? []);
    const reserved = portsTaken(registered, r.name as 'PORTS' | 'PORTS_UDP');
    for (const p of ports.map(String)) {
      if (sign < 0) set.add(p);
      else if (!reserved.has(p)) set.delete(p);
    }
    return { ...r, stringSetValue: sortPorts([...set]) };
  });
}

function integerOf(r: Resource): number {
  if (r.type !== undefined && r.type !== 'INTEGER') throw invalidParameter(`totalResources: ${r.name} must be of type INTEGER, not '${r.type}'.`);
  const v = r.integerValue;
  if (v === undefined || !Number.isInteger(v) || v < 0) {
    throw invalidParameter(`totalResources: ${r.name} needs a non-negative integerValue, got ${v ?? 'none'}.`);
  }
  return v;
}

function checkPort(name: string, p: string): string {
  const n = Number(p);
  if (!/^\d{1,5}$/.test(p) || n < 1 || n > 65535) throw invalidParameter(`totalResources: ${name} has an invalid port '${p}' (1-65535).`);
  return String(n);
}

const sortPorts = (ports: string[]) => ports.sort((a, b) => Number(a) - Number(b));

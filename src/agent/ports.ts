// Host port conflicts, found before anything starts: a fixed host port another task on this
// agent holds (or asked for), or one something else on the machine is already bound to.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { ContainerSpec } from './runtime/types.js';
import { RESERVED_PORTS } from './registration.js';

export interface HeldPort { ip: string; port: number; protocol: 'tcp' | 'udp'; taskArn: string }

const key = (ip: string, port: number, protocol: string) => `${ip}:${port}/${protocol}`;

/** Whether ip:port can be bound right now. */
export function canBind(ip: string, port: number, protocol: 'tcp' | 'udp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, ip, () => s.close(() => resolve(true)));
      return;
    }
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: ip, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first conflict of a task's fixed host ports, as a CannotStartContainerError reason, or undefined. */
export async function portConflict(specs: ContainerSpec[], held: HeldPort[], probe = canBind): Promise<string | undefined> {
  const taken = new Map(held.map((h) => [key(h.ip, h.port, h.protocol), h.taskArn]));
  const mine = new Set<string>();
  for (const spec of specs) {
    if (spec.networkMode === 'awsvpc') continue;
    for (const b of spec.portBindings) {
      if (b.hostPort === 0) continue;
      const k = key(b.hostIp, b.hostPort, b.protocol);
      const what = `host port ${b.hostIp}:${b.hostPort}/${b.protocol}`;
      if (RESERVED_PORTS.includes(b.hostPort) && b.protocol === 'tcp') return `CannotStartContainerError: ${what} is reserved by the container instance`;
      if (mine.has(k)) return `CannotStartContainerError: ${what} is mapped twice in the task`;
      mine.add(k);
      const other = taken.get(k);
      if (other) return `CannotStartContainerError: ${what} is already allocated to task ${other}`;
      if (!(await probe(b.hostIp, b.hostPort, b.protocol))) {
        return `CannotStartContainerError: ${what} is already in use on the host`;
      }
    }
  }
  return undefined;
}

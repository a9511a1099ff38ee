// Hosts as Linux network namespaces (root only): each namespace `b15-<x>` gets a veth pair to the
// host (host side b15-h<x> 10.15.<n>.1/24, namespace side b15-n<x> 10.15.<n>.2/24, default route
// via the host), so a process run with `ip netns exec` reaches the host only over its own link,
// and its loopback is its own. Partitions are receive-side drops (iptables), as a real cut looks to
// both ends: packets leave and vanish; no error comes back.
//   full:      the namespace drops what the host sends it; the host drops what the namespace sends
//   half-open: only the namespace drops (the agent can send, cannot receive)
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export interface NetHost { name: string; ns: string; hostIf: string; nsIf: string; hostIp: string; ip: string }

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
const quiet = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

export const netHost = (name: string, n: number): NetHost =>
  ({ name, ns: `b15-${name}`, hostIf: `b15-h${name}`, nsIf: `b15-n${name}`, hostIp: `10.15.${n}.1`, ip: `10.15.${n}.2` });

/** Why namespaces cannot be made here (not root, no `ip netns`, no iptables), or false. */
export function netnsMissing(): string | false {
  if (process.getuid?.() !== 0) return 'not running as root';
  const probe = 'b15-probe';
  quiet('ip', ['netns', 'del', probe]);
  if (!quiet('ip', ['netns', 'add', probe])) return `'ip netns add' failed`;
  try {
    if (!quiet('ip', ['netns', 'exec', probe, 'iptables', '-L', 'INPUT', '-n'])) return 'iptables does not work inside a network namespace';
    if (!quiet('iptables', ['-L', 'INPUT', '-n'])) return 'iptables does not work on the host';
    return false;
  } finally { quiet('ip', ['netns', 'del', probe]); }
}

const LOCK = '/run/berth-netns-test.lock';
const alive = (pid: number) => {
  if (!Number.isInteger(pid) || pid <= 0) return true; // being written: treat as held
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** One namespace test per machine at a time (the names and subnets are fixed, and createHost
 *  removes leftovers, which would cut another run's hosts away): waits while a live process holds
 *  the lock, takes it over from a dead one. Returns the release function. */
export async function lockHosts(timeoutMs = 600_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  const mine = String(process.pid);
  for (;;) {
    try {
      writeFileSync(LOCK, mine, { flag: 'wx' });
      return () => { try { if (readFileSync(LOCK, 'utf8') === mine) unlinkSync(LOCK); } catch { /* already gone */ } };
    } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
    let holder = Number.NaN;
    try { holder = Number(readFileSync(LOCK, 'utf8')); } catch { continue; }
    if (!alive(holder)) { try { unlinkSync(LOCK); } catch { /* taken by another waiter */ } continue; }
    if (Date.now() > deadline) throw new Error(`another network-namespace test (pid ${holder}) holds ${LOCK}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Creates the namespace and its link (removing a leftover of an earlier run first). */
export function createHost(h: NetHost): void {
  removeHost(h);
  sh('ip', ['netns', 'add', h.ns]);
  sh('ip', ['link', 'add', h.hostIf, 'type', 'veth', 'peer', 'name', h.nsIf]);
  sh('ip', ['link', 'set', h.nsIf, 'netns', h.ns]);
  sh('ip', ['addr', 'add', `${h.hostIp}/24`, 'dev', h.hostIf]);
  sh('ip', ['link', 'set', h.hostIf, 'up']);
  const inNs = (args: string[]) => sh('ip', ['netns', 'exec', h.ns, ...args]);
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  inNs(['ip', 'addr', 'add', `${h.ip}/24`, 'dev', h.nsIf]);
  inNs(['ip', 'link', 'set', h.nsIf, 'up']);
  inNs(['ip', 'route', 'add', 'default', 'via', h.hostIp]);
}

/** Heals, then deletes the namespace (its veth pair goes with it). Safe to call when absent. */
export function removeHost(h: NetHost): void {
  heal(h);
  quiet('ip', ['netns', 'del', h.ns]);
  quiet('ip', ['link', 'del', h.hostIf]);
}

const HOST_RULE = (h: NetHost) => ['INPUT', '-i', h.hostIf, '-j', 'DROP'];
const NS_RULE = (h: NetHost) => ['INPUT', '-i', h.nsIf, '-j', 'DROP'];

/** Cuts the host off: `full` both ways, `half-open` only what reaches the namespace. */
export function partition(h: NetHost, mode: 'full' | 'half-open'): void {
  sh('ip', ['netns', 'exec', h.ns, 'iptables', '-I', ...NS_RULE(h)]);
  if (mode === 'full') sh('iptables', ['-I', ...HOST_RULE(h)]);
}

/** Removes every drop rule partition() added (each may have been added more than once). */
export function heal(h: NetHost): void {
  while (quiet('iptables', ['-D', ...HOST_RULE(h)]));
  while (quiet('ip', ['netns', 'exec', h.ns, 'iptables', '-D', ...NS_RULE(h)]));
}

/** The namespace's established TCP connections to `peer` (ip:port), as `ss` shows them. */
export function connectionsTo(h: NetHost, peer: string): number {
  const out = sh('ip', ['netns', 'exec', h.ns, 'ss', '-Htn', 'state', 'established', 'dst', peer]);
  return out.split('\n').filter((l) => l.trim()).length;
}

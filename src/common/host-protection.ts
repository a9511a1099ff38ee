// Host protection on agents (README, "Host protection"): the attributes a Berth agent registers to
// say what of its host it refuses, which placement (src/placement/feasibility/attributes.ts) and the
// agent itself (src/agent/container-spec.ts) both read.
//   berth.host-network=disabled                  --disable-host-network: no networkMode host
//   berth.allowed-bind-mounts=<path>[:<path>]    --allowed-bind-mounts: host bind mounts only under
//                                                these paths ("none": no host bind mounts at all)
// Without them an agent allows both, as on EC2.
import { posix } from 'node:path';

export const HOST_NETWORK_ATTRIBUTE = 'berth.host-network';
export const BIND_MOUNTS_ATTRIBUTE = 'berth.allowed-bind-mounts';

/** Is `path` one of the allowed paths or under one (after resolving `..`; relative paths never)? */
export function bindMountAllowed(path: string, allowed: readonly string[]): boolean {
  if (!path.startsWith('/')) return false;
  const clean = posix.normalize(path).replace(/\/+$/, '') || '/';
  return allowed.some((a) => {
    const base = a.replace(/\/+$/, '') || '/';
    return base === '/' || clean === base || clean.startsWith(`${base}/`);
  });
}

/** The paths of an --allowed-bind-mounts flag (commas) or of the attribute (colons: ECS attribute
 *  values may not hold commas). */
export const parseAllowedBindMounts = (value: string) => value.split(/[,:]/).map((p) => p.trim()).filter(Boolean);


// EC2 instance types → the resources the ECS agent registers for them. CPU is 1024 units per
// vCPU; MEMORY is what the ECS-optimized AMI typically registers: the instance's memory less what
// the kernel and the OS keep (about 4–6 %), so a t3.medium (4 GiB) registers 3,904 MiB, not 4,096.
import { cpus, totalmem } from 'node:os';

export interface InstanceResources { cpu: number; memory: number }

/** vCPUs and GiB of memory per instance type. */
const TYPES: Record<string, [vcpu: number, gib: number]> = {
  't2.micro': [1, 1], 't2.small': [1, 2], 't2.medium': [2, 4], 't2.large': [2, 8],
  't3.nano': [2, 0.5], 't3.micro': [2, 1], 't3.small': [2, 2], 't3.medium': [2, 4], 't3.large': [2, 8],
  't3.xlarge': [4, 16], 't3.2xlarge': [8, 32],
  't3a.micro': [2, 1], 't3a.small': [2, 2], 't3a.medium': [2, 4], 't3a.large': [2, 8],
  't4g.micro': [2, 1], 't4g.small': [2, 2], 't4g.medium': [2, 4], 't4g.large': [2, 8],
  'm5.large': [2, 8], 'm5.xlarge': [4, 16], 'm5.2xlarge': [8, 32], 'm5.4xlarge': [16, 64], 'm5.8xlarge': [32, 128],
  'm6i.large': [2, 8], 'm6i.xlarge': [4, 16], 'm6i.2xlarge': [8, 32],
  'm6g.large': [2, 8], 'm6g.xlarge': [4, 16], 'm6g.2xlarge': [8, 32],
  'c5.large': [2, 4], 'c5.xlarge': [4, 8], 'c5.2xlarge': [8, 16], 'c5.4xlarge': [16, 32], 'c5.9xlarge': [36, 72],
  'c6i.large': [2, 4], 'c6i.xlarge': [4, 8], 'c6i.2xlarge': [8, 16],
  'r5.large': [2, 16], 'r5.xlarge': [4, 32], 'r5.2xlarge': [8, 64], 'r5.4xlarge': [16, 128],
  'r6i.large': [2, 16], 'r6i.xlarge': [4, 32],
};

/** Instance types whose processors are Graviton (arm64). */
const ARM = /^(t4g|m6g|c6g|r6g|m7g|c7g|r7g)\./;

export const knownInstanceTypes = () => Object.keys(TYPES);

/** MiB the OS keeps for itself on an instance with this much memory. */
function reservedMiB(totalMiB: number): number {
  if (totalMiB <= 1024) return 64;
  if (totalMiB <= 4096) return 192;
  return Math.round(totalMiB * 0.04);
}

/** Resources an instance type registers with, or undefined when the type is unknown. */
export function instanceTypeResources(type: string): InstanceResources | undefined {
  const t = TYPES[type];
  if (!t) return undefined;
  const mib = t[1] * 1024;
  return { cpu: t[0] * 1024, memory: mib - reservedMiB(mib) };
}

export const instanceTypeArchitecture = (type: string) => (ARM.test(type) ? 'arm64' : 'x86_64');

/** What this machine offers, when no instance type or explicit sizes are given. */
export function hostResources(): InstanceResources {
  const mib = Math.floor(totalmem() / 1024 / 1024);
  return { cpu: Math.max(1, cpus().length) * 1024, memory: mib - reservedMiB(mib) };
}

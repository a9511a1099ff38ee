// IDs, clocks and randomness are injected (STYLE point 9): tests pass a fixed clock and a seeded RNG.
import { randomBytes, randomUUID } from 'node:crypto';

export interface Clock { now(): Date }
export const systemClock: Clock = { now: () => new Date() };

export interface Ids {
  uuid(): string;
  /** n random hex characters. */
  hex(n: number): string;
  /** A float in [0, 1). */
  random(): number;
}

/** Random bytes drawn from a pool refilled 4 KiB at a time (as randomUUID keeps its own): one
 *  call into the CSPRNG per id cost more than the rest of building a task record. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;
function poolBytes(n: number): Buffer {
  if (n > POOL_BYTES) return randomBytes(n);
  if (used + n > pool.length) { pool = randomBytes(POOL_BYTES); used = 0; }
  return pool.subarray(used, used += n);
}

export const randomIds: Ids = {
  uuid: () => randomUUID(),
  hex: (n) => poolBytes(Math.ceil(n / 2)).toString('hex').slice(0, n),
  random: () => Math.random(),
};

/** Deterministic ids from a seed (mulberry32), for tests and benchmarks. */
export function seededIds(seed: number): Ids {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return {
    random,
    hex,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`,
  };
}

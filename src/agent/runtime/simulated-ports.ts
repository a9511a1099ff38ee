// Host ports for the simulated runtime, per protocol and host address, the way Docker's port
// allocator hands them out: a fixed port must be free; a dynamic one (0) is the next free port of
// the ephemeral range after the last one given out. 0.0.0.0 conflicts with every address.

export const EPHEMERAL_RANGE = { first: 32768, last: 60999 } as const;

const ANY = '0.0.0.0';

export class PortAllocator {
  /** protocol|port → host addresses holding it. */
  private readonly used = new Map<string, Set<string>>();
  private readonly cursor = new Map<string, number>();

  constructor(private readonly range: { first: number; last: number } = EPHEMERAL_RANGE) {}

  isFree(hostIp: string, protocol: string, port: number): boolean {
    const holders = this.used.get(`${protocol}|${port}`);
    if (!holders || holders.size === 0) return true;
    return hostIp !== ANY && !holders.has(ANY) && !holders.has(hostIp);
  }

  /** Takes a specific port; false when it is already taken on that address. */
  reserve(hostIp: string, protocol: string, port: number): boolean {
    if (!this.isFree(hostIp, protocol, port)) return false;
    const key = `${protocol}|${port}`;
    if (!this.used.has(key)) this.used.set(key, new Set());
    this.used.get(key)!.add(hostIp);
    return true;
  }

  /** The next free port of the range on that address, or undefined when the range is exhausted. */
  allocate(hostIp: string, protocol: string): number | undefined {
    const size = this.range.last - this.range.first + 1;
    const ck = `${protocol}|${hostIp}`;
    const start = this.cursor.get(ck) ?? this.range.first;
    for (let i = 0; i < size; i++) {
      const port = this.range.first + ((start - this.range.first + i) % size);
      if (this.reserve(hostIp, protocol, port)) {
        this.cursor.set(ck, port === this.range.last ? this.range.first : port + 1);
        return port;
      }
    }
    return undefined;
  }

  release(hostIp: string, protocol: string, port: number): void {
    const key = `${protocol}|${port}`;
    const holders = this.used.get(key);
    holders?.delete(hostIp);
    if (holders && holders.size === 0) this.used.delete(key);
  }
}

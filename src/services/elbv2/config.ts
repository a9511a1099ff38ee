// ELBv2's section of the server config. Each load balancer gets its own loopback address from
// `addressPool`, so two load balancers can both listen on port 80 and DNSName is an address curl
// reaches with no DNS or /etc/hosts set-up (Linux routes all of 127.0.0.0/8 to lo).
import type { AppContext } from '../context.js';
import type { ServiceConfigSection } from '../types.js';

export interface ElbConfig {
  /** CIDR inside 127.0.0.0/8 the load balancers' addresses come from. */
  addressPool: string;
  /** Run listeners and health checks (false: API only). */
  dataPlane: boolean;
  /** Multiplies health-check intervals and timeouts (tests use 0.1 to run 5 s intervals in 0.5 s). */
  healthCheckTimeScale: number;
  /** Seconds between metric publications to CloudWatch (AWS/ApplicationELB, AWS/NetworkELB). */
  metricsIntervalSeconds: number;
}

export const DEFAULT_ADDRESS_POOL = '127.77.0.0/16';

const defaults = (): ElbConfig => ({ addressPool: DEFAULT_ADDRESS_POOL, dataPlane: true, healthCheckTimeScale: 1, metricsIntervalSeconds: 60 });

/** The pool as [first, last] usable addresses (network and broadcast addresses excluded). */
export function poolRange(cidr: string): [number, number] {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const bits = m ? Number(m[4]) : NaN;
  if (!m || m.slice(1, 4).some((o) => Number(o) > 255) || bits < 8 || bits > 30) {
    throw new Error(`address pool '${cidr}': use a CIDR inside 127.0.0.0/8 between /8 and /30, e.g. ${DEFAULT_ADDRESS_POOL}`);
  }
  const base = ((127 << 24) | (Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3])) >>> 0;
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  return [network + 1, network + size - 2];
}

export const ipOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export const elbConfigSection: ServiceConfigSection<ElbConfig> = {
  defaults,
  flags: [
    { name: 'elb-address-pool', env: 'BERTH_ELB_ADDRESS_POOL',
      help: `--elb-address-pool ${DEFAULT_ADDRESS_POOL}  loopback CIDR the load balancers' own addresses (and DNSNames) come from`,
      apply: (c, raw) => { poolRange(raw); c.addressPool = raw; } },
  ],
};

export const elbConfig = (app: AppContext): ElbConfig => (app.serviceConfig.elasticloadbalancing as ElbConfig | undefined) ?? defaults();

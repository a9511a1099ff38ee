// What an agent trusts when its server speaks HTTPS: Node's bundled roots, the system's bundle
// (Debian/Ubuntu, RHEL, Alpine paths) and the CA given with `berth agent --ca FILE` — so a
// self-signed small cluster and a publicly signed server both verify. Every client the agent
// opens (the ECS, Logs and ECR SDK clients, the ACS and TCS websockets) uses the same list.
import { existsSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

export interface TlsTrust {
  /** PEM certificates trusted (for `ws` and https.Agent's `ca`). */
  ca: string[];
  /** One keep-alive agent with that list, for the SDK clients' requestHandler. */
  httpsAgent: HttpsAgent;
}

/** The trust list with `extraCaPem` added; undefined when none is given (Node's defaults apply). */
export function tlsTrust(extraCaPem?: string): TlsTrust | undefined {
  if (!extraCaPem) return undefined;
  if (!/-----BEGIN CERTIFICATE-----/.test(extraCaPem)) throw new Error('--ca must be a PEM file with at least one CERTIFICATE');
  const system = SYSTEM_BUNDLES.filter((p) => existsSync(p)).slice(0, 1).map((p) => readFileSync(p, 'utf8'));
  const ca = [...rootCertificates, ...system, extraCaPem];
  return { ca, httpsAgent: new HttpsAgent({ ca, keepAlive: true }) };
}

/** The agent's HTTP connections, shared by its SDK clients: keep-alive sockets with the trust
 *  list, and bounded waits — a request into a partition fails after seconds (not the OS's
 *  two-minute connect timeout), so the agent retries and reconnects soon after the network heals. */
export class ConnectionPool {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;

  /** maxSockets: connections per server at most (requests beyond wait for one). The agent's own
   *  pool keeps 2, as Go's http.Transport (the ECS agent's) keeps 2 idle per host: a burst of
   *  reports would otherwise open a connection each, and a busy server accepts them slowly (a
   *  connect that outlives its timeout is retried on yet another one). */
  constructor(trust?: TlsTrust, maxSockets = Infinity) {
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets });
    this.httpsAgent = maxSockets === Infinity && trust ? trust.httpsAgent : new HttpsAgent({ keepAlive: true, maxSockets, ...(trust ? { ca: trust.ca } : {}) });
  }

  /** The SDK client options that use this pool. */
  sdk() {
    return { requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, httpAgent: this.httpAgent, httpsAgent: this.httpsAgent } };
  }

  /** Drops every socket (the pool stays usable): after a partition, a request written into a
   *  connection that may be dead would wait out TCP's retransmission backoff; a fresh one does not. */
  reset() { this.httpAgent.destroy(); this.httpsAgent.destroy(); }
}

/** The SDK client options for clients outside the agent's pool (the trust list and the same bounds). */
export const sdkTls = (trust: TlsTrust | undefined) => new ConnectionPool(trust).sdk();

// The container credentials endpoint, as the ECS agent serves it: `GET /v2/credentials/<id>` answers
// the temporary credentials of a task's role ({RoleArn, AccessKeyId, SecretAccessKey, Token,
// Expiration}), which ECS sends in the task's PayloadMessage and refreshes with
// IAMRoleCredentialsMessages. SDKs and the CLI find it through the container's
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2 + the path) and accept plain HTTP
// only from 127.0.0.0/8, 169.254.170.2 and 169.254.170.23, so the endpoint listens on
// 169.254.170.2:80: the agent puts that address on `lo` when it is root and the address is absent
// (Linux delivers bridge containers' traffic arriving through docker0 to it). When port 80 is held
// by another agent on the same host, it listens on another port of that address and containers get
// AWS_CONTAINER_CREDENTIALS_FULL_URI instead.
//
// Only the task's own containers may fetch its credentials: the request's source address must be
// one of the task's containers' addresses (bridge mode). Containers in host network mode share the
// host's addresses, so for them the unguessable credentials id is the only guard, as with the ECS agent.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import type { WireRoleCredentials } from '../protocol/acs.js';

export const CREDENTIALS_HOST = '169.254.170.2';
export const RELATIVE_URI_ENV = 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
export const FULL_URI_ENV = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';

export type RoleType = 'TaskApplication' | 'TaskExecution';
interface Entry { taskArn: string; roleType: RoleType; credentials: WireRoleCredentials }

/** Credentials by id, as ACS delivered them (memory only: ACS sends them again on reconnect). */
export class CredentialsStore {
  private readonly byId = new Map<string, Entry>();

  set(taskArn: string, roleType: RoleType, credentials: WireRoleCredentials) {
    if (credentials?.credentialsId) this.byId.set(credentials.credentialsId, { taskArn, roleType, credentials });
  }
  get(id: string): Entry | undefined { return this.byId.get(id); }
  /** The current credentials of a task's role. */
  forTask(taskArn: string, roleType: RoleType): WireRoleCredentials | undefined {
    for (const e of this.byId.values()) if (e.taskArn === taskArn && e.roleType === roleType) return e.credentials;
    return undefined;
  }
  removeTask(taskArn: string) {
    for (const [id, e] of this.byId) if (e.taskArn === taskArn) this.byId.delete(id);
  }
}

export interface CredentialsEndpointOptions {
  store: CredentialsStore;
  /** May a request from this address read the task's credentials? */
  allowed(taskArn: string, remoteAddress: string): Promise<boolean>;
  log(line: string): void;
  /** Where to listen (tests); default 169.254.170.2, port 80 else any. */
  bind?: { host: string; port: number };
}

export interface CredentialsEndpoint {
  port: number;
  /** The environment a container of a task with this credentials id gets. */
  env(credentialsId: string): Record<string, string>;
  close(): Promise<void>;
}

const hasAddress = (ip: string) => Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === ip));

/** Puts 169.254.170.2 on `lo` when it is absent and we are root; the reason when it cannot. */
async function ensureAddress(host: string): Promise<string | undefined> {
  if (hasAddress(host)) return undefined;
  if (process.getuid?.() !== 0) return `${host} is not on this host and the agent is not root (as root: ip addr add ${host}/32 dev lo)`;
  try {
    await promisify(execFile)('ip', ['addr', 'add', `${host}/32`, 'dev', 'lo']);
  } catch (err) {
    if (!hasAddress(host)) return `cannot add ${host} to lo: ${(err as Error).message}`;
  }
  return undefined;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
}

/** Starts the endpoint, or answers why it cannot run here (containers then get no credentials). */
export async function startCredentialsEndpoint(opts: CredentialsEndpointOptions): Promise<CredentialsEndpoint | string> {
  const host = opts.bind?.host ?? CREDENTIALS_HOST;
  if (!opts.bind) {
    const missing = await ensureAddress(host);
    if (missing) return missing;
  }
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const m = /^\/v2\/credentials\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) { send(400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: invalid path; use GET /v2/credentials/<id>' }); return; }
    const entry = opts.store.get(decodeURIComponent(m[1]));
    const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    try {
      if (!entry || !await opts.allowed(entry.taskArn, remote)) {
        if (entry) opts.log(`credentials endpoint: ${remote} asked for the credentials of ${entry.taskArn}, which is not its task`);
        send(400, { code: 'InvalidIdInRequest', message: 'CredentialsV2Request: Credentials not found' });
        return;
      }
    } catch (err) {
      send(500, { code: 'InternalServerError', message: (err as Error).message });
      return;
    }
    const c = entry.credentials;
    send(200, { RoleArn: c.roleArn, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: c.expiration });
  });
  let port = opts.bind?.port ?? 80;
  try {
    await listen(server, host, port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (err as NodeJS.ErrnoException).code !== 'EACCES') return `cannot listen on ${host}:${port}: ${(err as Error).message}`;
    try { await listen(server, host, 0); } catch (again) { return `cannot listen on ${host}: ${(again as Error).message}`; }
  }
  port = (server.address() as AddressInfo).port;
  return {
    port,
    env: (id): Record<string, string> => (port === 80 && host === CREDENTIALS_HOST
      ? { [RELATIVE_URI_ENV]: `/v2/credentials/${id}` }
      : { [FULL_URI_ENV]: `http://${host}:${port}/v2/credentials/${id}` }),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

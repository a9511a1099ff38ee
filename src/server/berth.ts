// Starts a Berth server: store, gateway, operational endpoints, then every registered service
// through its contract (src/services/types.ts). This file names no service: it loops over the
// registry. Tests start one in-process on port 0 with the memory store; `berth server` starts one
// from the command line.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { silentLog, type ActivityLog } from '../common/activity-log.js';
import { dirname, resolve } from 'node:path';
import { randomIds, systemClock, type Clock, type Ids } from '../common/ids.js';
import { requestAuthenticator } from '../gateway/auth.js';
import { createGateway, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits, type Gateway, type TlsPair } from '../gateway/server.js';
import type { AppContext, AuthMode, ServerConfig } from '../services/context.js';
import { internalClient } from '../services/invoke.js';
import { serviceList as services, type RunningServices, type ServiceConfigs } from '../services/registry.js';
import type { Worker } from '../services/types.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { databaseFile, lockData, type DataLock } from './data-lock.js';
import { registerPages } from './pages.js';
import { loadOrCreateRootCredentials, newRootCredentials, rootCredential, rootCredentialsPath, type RootCredentials } from './root-credentials.js';
import { probeStore, watchWrites } from './store-probe.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface BerthOptions {
  host?: string;
  port?: number;
  /** memory://, sqlite:///file, or a data directory (default ./.berth). */
  store?: string | Store;
  clock?: Clock;
  ids?: Ids;
  /** The base URL agents and clients should use to reach this server. */
  publicUrl?: string;
  /** Each service's config section (defaults come from the service). */
  config?: ServiceConfigs;
  /** The activity log (default: silent; `berth server` logs to stdout). */
  log?: ActivityLog;
  /** Connection bounds (src/gateway/server.ts; defaults documented in the README). */
  limits?: Partial<ConnectionLimits>;
  /** open (default; loopback only unless insecure) or strict (SigV4 verified, IAM enforced). */
  auth?: AuthMode;
  /** Listen on a non-loopback address in open mode anyway. */
  insecure?: boolean;
  /** Where the root key lives (default: the store's data directory). */
  dataDir?: string;
  /** Strict mode: use this root key instead of the data directory's (tests). */
  rootCredentials?: RootCredentials;
  /** Serve HTTPS with this certificate and key (PEM) on the one port: API, agent websockets, routes. */
  tls?: TlsPair;
}

export interface Berth {
  app: AppContext;
  gateway: Gateway;
  /** Each service's running handle (its workers, for tests and tools). */
  services: RunningServices;
  /** http(s)://host:port */
  url: string;
  /** Strict mode: the root account's access key. */
  rootCredentials?: RootCredentials;
  close(): Promise<void>;
}

/** Each service's config section: its defaults with the given values on top. */
function resolveConfig(given: ServiceConfigs = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const service of services) {
    const section = (given as Record<string, object | undefined>)[service.name] ?? {};
    const defaults = service.config?.defaults();
    // A value given as undefined keeps the default.
    const set = Object.fromEntries(Object.entries(section).filter(([, v]) => v !== undefined));
    out[service.name] = defaults === undefined ? set : { ...defaults, ...set };
  }
  return out;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** The data directory a store spec implies: a directory path or a sqlite file's directory. */
function dataDirOf(store: BerthOptions['store']): string | undefined {
  if (store === undefined) return '.berth';
  if (typeof store !== 'string' || /^(memory|etcd):/.test(store)) return undefined;
  return store.startsWith('sqlite://') ? dirname(store.slice('sqlite://'.length)) : store;
}

/** Strict mode's root key: given, stored in the data directory (created and printed once), or for a
 *  store without a directory, made for this run and printed. */
function rootCredentialsFor(options: BerthOptions): RootCredentials {
  if (options.rootCredentials) return options.rootCredentials;
  const dir = options.dataDir ?? dataDirOf(options.store);
  const { credentials, created } = dir ? loadOrCreateRootCredentials(dir) : { credentials: newRootCredentials(), created: true };
  if (created) {
    console.log(`berth: root access key ${credentials.accessKeyId} secret ${credentials.secretAccessKey} (account ${credentials.account})`
      + (dir ? ` — stored in ${rootCredentialsPath(dir)} (0600); \`berth credentials\` prints it again` : ' — for this run only (no data directory)'));
  }
  return credentials;
}

export async function startBerth(options: BerthOptions = {}): Promise<Berth> {
  const auth = options.auth ?? 'open';
  const host = options.host ?? '127.0.0.1';
  if (auth !== 'strict' && !isLoopback(host) && !options.insecure) {
    throw new Error(`refusing to listen on ${host} with --auth ${auth}: anyone who reaches it could act as any account. Use --auth strict, or --insecure to accept that.`);
  }
  // One server per data directory (data-lock.ts): taken before the database (or its root key) is touched.
  const dbFile = typeof options.store === 'object' ? undefined : databaseFile(options.store ?? '.berth');
  const lock: DataLock | undefined = dbFile === undefined ? undefined : lockData(dbFile);
  let opened: Store;
  let root: RootCredentials | undefined;
  try {
    root = auth === 'strict' ? rootCredentialsFor(options) : undefined;
    opened = typeof options.store === 'object' ? options.store : openStore(options.store ?? '.berth', { clock: options.clock });
  } catch (err) {
    lock?.release();
    throw err;
  }
  // Every write's outcome is remembered for /_berth/health (store-probe.ts).
  const watched = watchWrites(opened);
  const store = watched.store;
  const dataDir = options.dataDir ?? dataDirOf(options.store);
  const config: ServerConfig = { host, port: options.port ?? 4566, publicUrl: options.publicUrl, auth, dataDir: dataDir && resolve(dataDir), tls: options.tls !== undefined };
  const serviceConfig = resolveConfig(options.config);
  const app: AppContext = {
    store, clock: options.clock ?? systemClock, ids: options.ids ?? randomIds, config, serviceConfig, startedAt: new Date(), version: VERSION,
    call: internalClient(() => app, services), authorize: () => {}, log: options.log ?? silentLog,
    credentials: async (accessKeyId) => (root && accessKeyId === root.accessKeyId ? rootCredential(root) : undefined),
  };
  // A limit given as undefined keeps its default.
  const limits = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined));
  const gateway = createGateway(app, services, { ...DEFAULT_CONNECTION_LIMITS, ...limits }, options.tls);
  const running: Array<[string, Worker]> = [];

  const close = async () => {
    // Workers stop in reverse start order, all before the listener and the store close.
    for (const [name, worker] of running.reverse()) await worker.stop().catch((err: Error) => console.error(`berth: stopping ${name}: ${err.message}`));
    gateway.server.closeAllConnections();
    if (gateway.server.listening) await new Promise<void>((resolve) => gateway.server.close(() => resolve()));
    await store.close();
    lock?.release();
  };

  // 200 {status: "ok"} while the store takes writes; 503 {status: "unavailable", reason} when it
  // cannot (disk full, etcd unreachable…): the probe is a real write (store-probe.ts).
  gateway.route('/_berth/health', async (_req, res) => {
    const probe = await probeStore(watched);
    const body = JSON.stringify({ status: probe.ok ? 'ok' : 'unavailable', reason: probe.ok ? undefined : probe.reason,
      version: VERSION, uptimeSeconds: Math.round((Date.now() - app.startedAt.getTime()) / 1000),
      store: store.name, services: services.map((s) => s.name),
      stats: Object.fromEntries(running.filter(([, w]) => w.stats).map(([name, w]) => [name, w.stats!()])) });
    res.writeHead(probe.ok ? 200 : 503, { 'content-type': 'application/json' }).end(body);
  });
  registerPages(gateway, VERSION);
  gateway.route('/_berth/reset', async (req, res, body) => {
    if (req.method !== 'POST') { res.writeHead(405, { allow: 'POST' }).end(); return; }
    if (!confirmsReset(req.headers['content-type'], body)) {
      res.writeHead(400, { 'content-type': 'application/json' })
        .end('{"__type":"ValidationError","message":"Reset wipes every account: send Content-Type application/json and the body {\\"confirm\\": \\"reset\\"}."}');
      return;
    }
    await store.wipe();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"reset":true}');
  });

  try {
    for (const service of services) {
      if (!service.start) continue;
      const worker = await service.start({
        app, config: serviceConfig[service.name], authenticate: requestAuthenticator(app),
        route: gateway.route, streamRoute: gateway.streamRoute, upgrade: gateway.upgrade,
      });
      running.push([service.name, worker]);
    }
    await new Promise<void>((resolve, reject) => {
      gateway.server.once('error', reject);
      gateway.server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await close();
    throw err;
  }
  const address = gateway.server.address() as AddressInfo;
  config.port = address.port;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost}:${address.port}`;
  lock?.setUrl(url);
  return {
    app, gateway, services: Object.fromEntries(running) as RunningServices, url, close, rootCredentials: root,
  };
}

/** A reset must say so in JSON: a form or text/plain POST (what a web page can send) never wipes. */
function confirmsReset(contentType: string | undefined, body: Buffer): boolean {
  if (!/^application\/json\b/i.test(contentType ?? '')) return false;
  try { return (JSON.parse(body.toString('utf8')) as { confirm?: unknown } | null)?.confirm === 'reset'; } catch { return false; }
}

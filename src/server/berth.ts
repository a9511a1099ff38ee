// Starts a Berth server: store, gateway, operational endpoints, then every registered service
// through its contract (src/services/types.ts). This file names no service: it loops over the
// registry. Tests start one in-process on port 0 with the memory store; `berth server` starts one
// from the command line.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { randomIds, systemClock, type Clock, type Ids } from '../common/ids.js';
import { requestAuthenticator } from '../gateway/auth.js';
import { createGateway, type Gateway } from '../gateway/server.js';
import type { AppContext, AuthMode, ServerConfig } from '../services/context.js';
import { internalClient } from '../services/invoke.js';
import { serviceList as services, type RunningServices, type ServiceConfigs } from '../services/registry.js';
import type { Worker } from '../services/types.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { loadOrCreateRootCredentials, newRootCredentials, rootCredential, rootCredentialsPath, type RootCredentials } from './root-credentials.js';

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
  /** open (default; loopback only unless insecure) or strict (SigV4 verified, IAM enforced). */
  auth?: AuthMode;
  /** Listen on a non-loopback address in open mode anyway. */
  insecure?: boolean;
  /** Where the root key lives (default: the store's data directory). */
  dataDir?: string;
  /** Strict mode: use this root key instead of the data directory's (tests). */
  rootCredentials?: RootCredentials;
}

export interface Berth {
  app: AppContext;
  gateway: Gateway;
  /** Each service's running handle (its workers, for tests and tools). */
  services: RunningServices;
  /** http://host:port */
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
  const root = auth === 'strict' ? rootCredentialsFor(options) : undefined;
  const store = typeof options.store === 'object' ? options.store : openStore(options.store ?? '.berth', { clock: options.clock });
  const dataDir = options.dataDir ?? dataDirOf(options.store);
  const config: ServerConfig = { host, port: options.port ?? 4566, publicUrl: options.publicUrl, auth, dataDir: dataDir && resolve(dataDir) };
  const serviceConfig = resolveConfig(options.config);
  const app: AppContext = {
    store, clock: options.clock ?? systemClock, ids: options.ids ?? randomIds, config, serviceConfig, startedAt: new Date(), version: VERSION,
    call: internalClient(() => app, services), authorize: () => {},
    credentials: async (accessKeyId) => (root && accessKeyId === root.accessKeyId ? rootCredential(root) : undefined),
  };
  const gateway = createGateway(app, services);
  const running: Array<[string, Worker]> = [];

  const close = async () => {
    // Workers stop in reverse start order, all before the listener and the store close.
    for (const [name, worker] of running.reverse()) await worker.stop().catch((err: Error) => console.error(`berth: stopping ${name}: ${err.message}`));
    gateway.server.closeAllConnections();
    if (gateway.server.listening) await new Promise<void>((resolve) => gateway.server.close(() => resolve()));
    await store.close();
  };

  gateway.route('/_berth/health', (_req, res) => {
    const body = JSON.stringify({ status: 'ok', version: VERSION, uptimeSeconds: Math.round((Date.now() - app.startedAt.getTime()) / 1000),
      store: store.name, services: services.map((s) => s.name),
      stats: Object.fromEntries(running.filter(([, w]) => w.stats).map(([name, w]) => [name, w.stats!()])) });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
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
  return {
    app, gateway, services: Object.fromEntries(running) as RunningServices, url: `http://${urlHost}:${address.port}`, close, rootCredentials: root,
  };
}

/** A reset must say so in JSON: a form or text/plain POST (what a web page can send) never wipes. */
function confirmsReset(contentType: string | undefined, body: Buffer): boolean {
  if (!/^application\/json\b/i.test(contentType ?? '')) return false;
  try { return (JSON.parse(body.toString('utf8')) as { confirm?: unknown } | null)?.confirm === 'reset'; } catch { return false; }
}

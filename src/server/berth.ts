// Starts a Berth server: store, gateway, operational endpoints, then every registered service
// through its contract (src/services/types.ts). This file names no service: it loops over the
// registry. Tests start one in-process on port 0 with the memory store; `berth server` starts one
// from the command line.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { randomIds, systemClock, type Clock, type Ids } from '../common/ids.js';
import { authenticateRequest } from '../gateway/auth.js';
import { createGateway, type Gateway } from '../gateway/server.js';
import type { AppContext, ServerConfig } from '../services/context.js';
import { internalClient } from '../services/invoke.js';
import { serviceList as services, type RunningServices, type ServiceConfigs } from '../services/registry.js';
import type { Worker } from '../services/types.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';

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
}

export interface Berth {
  app: AppContext;
  gateway: Gateway;
  /** Each service's running handle (its workers, for tests and tools). */
  services: RunningServices;
  /** http://host:port */
  url: string;
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

/** The directory a store spec keeps its files in: the data directory, or a sqlite file's folder. */
function dataDirOf(spec: string): string | undefined {
  if (spec.startsWith('sqlite://')) return dirname(resolve(spec.slice('sqlite://'.length)));
  return spec.includes('://') || spec === 'memory' ? undefined : resolve(spec);
}

export async function startBerth(options: BerthOptions = {}): Promise<Berth> {
  const store = typeof options.store === 'object' ? options.store : openStore(options.store ?? '.berth', { clock: options.clock });
  const config: ServerConfig = {
    host: options.host ?? '127.0.0.1', port: options.port ?? 4566, publicUrl: options.publicUrl,
    dataDir: typeof options.store === 'object' ? undefined : dataDirOf(options.store ?? '.berth'),
  };
  const serviceConfig = resolveConfig(options.config);
  const app: AppContext = {
    store, clock: options.clock ?? systemClock, ids: options.ids ?? randomIds, config, serviceConfig, startedAt: new Date(), version: VERSION,
    call: internalClient(() => app, services), authorize: () => {},
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
  gateway.route('/_berth/reset', async (req, res) => {
    if (req.method !== 'POST') { res.writeHead(405, { allow: 'POST' }).end(); return; }
    await store.wipe();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"reset":true}');
  });

  try {
    for (const service of services) {
      if (!service.start) continue;
      const worker = await service.start({
        app, config: serviceConfig[service.name], authenticate: authenticateRequest,
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
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    app, gateway, services: Object.fromEntries(running) as RunningServices, url: `http://${host}:${address.port}`, close,
  };
}

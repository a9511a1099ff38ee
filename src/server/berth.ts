// Starts a Berth server: store, gateway, operational endpoints. Tests start one in-process on
// port 0 with the memory store; `berth server` starts one from the command line.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomIds, systemClock, type Clock, type Ids } from '../common/ids.js';
import type { AppContext, ServerConfig } from '../gateway/context.js';
import { createGateway, type Gateway } from '../gateway/server.js';
import { startAcsServer, type AcsServer } from '../services/ecs/acs-server.js';
import { registerExplainPlacement } from '../services/ecs/placement-explain-route.js';
import { services } from '../services/registry.js';
import { ServiceScheduler, type SchedulerOptions } from '../controllers/service-scheduler.js';
import { TaskRetention, type TaskRetentionOptions } from '../controllers/task-retention.js';
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
  agentGraceSeconds?: number;
  /** The base URL agents should use to reach this server (DiscoverPollEndpoint). */
  publicUrl?: string;
  /** Milliseconds between ACS HeartbeatMessages. */
  acsHeartbeatMs?: number;
  /** Seconds an agent may be silent before its service tasks are replaced elsewhere (lost-agent
   *  policy, src/controllers/service-lost.ts; default 300, 0 = never). */
  lostAfterSeconds?: number;
  /** The service scheduler's tuning (tick interval, throttle), or false to not run it. */
  scheduler?: SchedulerOptions | false;
  /** Seconds a STOPPED task stays describable before its record is deleted (default 3600,
   *  0 = forever; src/controllers/task-retention.ts). */
  stoppedTaskRetentionSeconds?: number;
  /** The STOPPED task retention controller's tuning (pass interval), or false to not run it. */
  taskRetention?: TaskRetentionOptions | false;
}

export interface Berth {
  app: AppContext;
  gateway: Gateway;
  /** The agents' websocket endpoint (ACS). */
  acs: AcsServer;
  /** The service scheduler (undefined when options.scheduler is false). */
  scheduler?: ServiceScheduler;
  /** The STOPPED task retention controller (undefined when options.taskRetention is false). */
  taskRetention?: TaskRetention;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export async function startBerth(options: BerthOptions = {}): Promise<Berth> {
  const store = typeof options.store === 'object' ? options.store : openStore(options.store ?? '.berth', { clock: options.clock });
  const config: ServerConfig = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 4566,
    agentGraceSeconds: options.agentGraceSeconds ?? 30,
    publicUrl: options.publicUrl,
    acsHeartbeatMs: options.acsHeartbeatMs,
  };
  const app: AppContext = { store, clock: options.clock ?? systemClock, ids: options.ids ?? randomIds, config, startedAt: new Date(), version: VERSION };
  const gateway = createGateway(app, services);
  const acs = startAcsServer(app, gateway);

  gateway.route('/_berth/health', (_req, res) => {
    const body = JSON.stringify({ status: 'ok', version: VERSION, uptimeSeconds: Math.round((Date.now() - app.startedAt.getTime()) / 1000),
      store: store.name, services: services.map((s) => s.name) });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  gateway.route('/_berth/reset', async (req, res) => {
    if (req.method !== 'POST') { res.writeHead(405, { allow: 'POST' }).end(); return; }
    await store.wipe();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"reset":true}');
  });
  registerExplainPlacement(gateway, app);

  await new Promise<void>((resolve, reject) => {
    gateway.server.once('error', reject);
    gateway.server.listen(config.port, config.host, () => resolve());
  });
  const address = gateway.server.address() as AddressInfo;
  config.port = address.port;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheduler = options.scheduler === false ? undefined
    : await ServiceScheduler.start(app, { lostAfterSeconds: options.lostAfterSeconds, ...options.scheduler });
  const taskRetention = options.taskRetention === false ? undefined
    : TaskRetention.start(app, { retentionSeconds: options.stoppedTaskRetentionSeconds, ...options.taskRetention });
  return {
    app, gateway, acs, scheduler, taskRetention, url: `http://${host}:${address.port}`,
    async close() {
      await taskRetention?.stop();
      await scheduler?.stop();
      await acs.close();
      gateway.server.closeAllConnections();
      await new Promise<void>((resolve) => gateway.server.close(() => resolve()));
      await store.close();
    },
  };
}

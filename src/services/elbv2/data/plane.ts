// The data plane: one server per listener on its load balancer's own loopback address (HTTP → the
// ALB proxy, TCP → the NLB pass-through), the health checker and the metrics, all driven by the
// watch-fed view of the records. HTTPS/TLS listeners are stored but not served: Berth has no ACM to
// hold their certificates (logged once per listener).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AppContext } from '../../context.js';
import type { ElbConfig } from '../config.js';
import { AlbProxy } from './alb.js';
import { HealthChecker } from './health.js';
import { Metrics } from './metrics.js';
import { handleTcp } from './nlb.js';
import { PlaneView, type LiveListener } from './view.js';

interface Running { address: string; port: number; protocol: string; server?: HttpServer | TcpServer; listening: Promise<void> }

export class DataPlane {
  readonly view: PlaneView;
  readonly metrics: Metrics;
  readonly health: HealthChecker;
  private readonly proxy: AlbProxy;
  private servers = new Map<string, Running>();
  private warned = new Set<string>();

  constructor(private readonly app: AppContext, config: ElbConfig, private readonly log: (m: string) => void = (m) => console.error(m)) {
    this.view = new PlaneView(app.store, () => this.reconcile(), config.healthCheckTimeScale);
    this.metrics = new Metrics(app, this.view, log);
    this.health = new HealthChecker(app.store, this.view, app.clock, config.healthCheckTimeScale, log);
    this.proxy = new AlbProxy(this.view, this.metrics);
    this.metricsInterval = config.metricsIntervalSeconds;
  }

  private readonly metricsInterval: number;

  async start() {
    await this.view.start();
    this.reconcile();
    this.metrics.start(this.metricsInterval);
    await this.settled();
  }

  /** Resolves when every listener's socket has been bound (or failed to). */
  async settled() {
    await Promise.all([...this.servers.values()].map((s) => s.listening));
  }

  private reconcile() {
    const want = this.view.listeners;
    for (const [id, running] of this.servers) {
      const l = want.get(id);
      if (!l || l.lb.Address !== running.address || l.record.Port !== running.port || l.record.Protocol !== running.protocol) {
        this.servers.delete(id);
        closeServer(running.server);
      }
    }
    for (const [id, l] of want) if (!this.servers.has(id)) this.servers.set(id, this.open(id, l));
    this.health.reconcile();
  }

  private open(id: string, l: LiveListener): Running {
    const address = l.lb.Address;
    const port = l.record.Port;
    const protocol = l.record.Protocol ?? 'HTTP';
    let server: HttpServer | TcpServer | undefined;
    if (protocol === 'HTTP') {
      const http = createHttpServer({ keepAlive: true }, (req, res) => this.proxy.handle(id, req, res));
      http.keepAliveTimeout = Number(l.lb.Attributes['idle_timeout.timeout_seconds'] ?? 60) * 1000;
      server = http;
    } else if (protocol === 'TCP' || protocol === 'TCP_UDP') {
      server = createTcpServer((socket) => handleTcp(this.view, this.metrics, id, socket));
    } else {
      if (!this.warned.has(id)) { this.warned.add(id); this.log(`elb: ${protocol} listener ${l.record.ListenerArn} is not served: Berth has no certificate store (ACM) yet`); }
      return { address, port, protocol, listening: Promise.resolve() };
    }
    const s = server;
    const listening = new Promise<void>((resolve) => {
      s.once('error', (err: NodeJS.ErrnoException) => {
        this.log(`elb: listener ${l.record.ListenerArn} cannot listen on ${address}:${port}: ${err.code ?? err.message}`);
        resolve();
      });
      s.listen({ host: address, port }, () => resolve());
    });
    return { address, port, protocol, server, listening };
  }

  async stop() {
    this.metrics.stop();
    this.health.stop();
    this.view.stop();
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((r) => closeServer(r.server)));
  }
}

function closeServer(server: HttpServer | TcpServer | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    if (!server.listening) { resolve(); return; }
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

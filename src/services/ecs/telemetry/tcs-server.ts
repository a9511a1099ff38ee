// The telemetry websocket agents dial (TCS, src/protocol/tcs.ts): `<base>/tcs/ws?cluster=…&containerInstance=…`,
// the upgrade SigV4-signed like ACS's and checked the same way (acs-server.ts connectTarget). One
// session per container instance; a newer connection replaces an older one. Nothing here is
// state: metrics go on to CloudWatch, health into the task records.
import { WebSocketServer } from 'ws';
import { TCS_PATH } from '../../../protocol/tcs.js';
import type { AppContext } from '../../context.js';
import type { ServiceHost } from '../../types.js';
import { connectTarget, refuse } from '../acs/acs-server.js';
import type { TaskSample } from './metrics.js';
import { TcsSession, type TcsOptions } from './tcs-session.js';

export interface TcsServer {
  readonly sessions: ReadonlyMap<string, TcsSession>;
  /** Messages handled since start, by type (PublishMetricsRequest…), over all sessions. */
  readonly received: ReadonlyMap<string, number>;
  /** The latest metrics sample of a task, from whichever connected agent runs it. */
  latest(taskArn: string): TaskSample | undefined;
  close(): Promise<void>;
}

export function startTcsServer(app: AppContext, host: Pick<ServiceHost<unknown>, 'upgrade' | 'authenticate'>, options: TcsOptions): TcsServer {
  const wss = new WebSocketServer({ noServer: true });
  const sessions = new Map<string, TcsSession>();
  const received = new Map<string, number>();
  host.upgrade(TCS_PATH, async (req, socket, head) => {
    const target = await connectTarget(app, host, req, { instance: 'containerInstance', cluster: 'cluster', operation: 'StartTelemetrySession' });
    if ('status' in target) { refuse(socket, target.status, target.message); return; }
    const url = req.url ?? TCS_PATH;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new TcsSession({ ...target.ctx, operation: 'TcsConnect' }, ws, target.cluster, target.instanceArn, url, host, options, (s) => {
        if (sessions.get(s.instanceArn) === s) sessions.delete(s.instanceArn);
      }, received);
      sessions.get(target.instanceArn)?.close();
      sessions.set(target.instanceArn, session);
      session.start();
    });
  });
  return {
    sessions,
    received,
    latest: (taskArn) => {
      for (const s of sessions.values()) { const found = s.metrics.latest.get(taskArn); if (found) return found; }
      return undefined;
    },
    async close() {
      for (const s of [...sessions.values()]) s.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

// The ACS websocket endpoint agents connect to (`<endpoint>/ws?clusterArn=…&containerInstanceArn=…`,
// see src/protocol/acs.ts). Registered on the gateway's upgrade hook; `ws` in noServer mode.
// One session per container instance: a newer connection replaces an older one. After a server
// restart agents reconnect and get the manifest again; nothing here lives only in memory.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ACS_PATH, FENCE_AFTER_HEADER, HEARTBEAT_HEADER, inactiveInstanceBody, SELF_FENCE_CAPABILITY, type VersionInfo } from '../../../protocol/acs.js';
import { arn, parseArn } from '../../../common/arn.js';
import { AwsError } from '../../../common/errors.js';
import type { AppContext, RequestContext } from '../../context.js';
import type { ServiceHost } from '../../types.js';
import type { EcsConfig } from '../config.js';
import { db, ownClusterName } from '../model/common.js';
import { instanceIdOf } from '../model/task-model.js';
import { AcsSession, type AcsCounters, type AcsTimings } from './acs-session.js';

export interface AcsServer {
  /** Live sessions, by container instance ARN. */
  readonly sessions: ReadonlyMap<string, AcsSession>;
  /** Stop verifications answered, and the candidates confirmed / refused, since start. */
  readonly counters: AcsCounters;
  /** The timings in effect (heartbeat interval derived from the grace period unless configured). */
  readonly timings: AcsTimings;
  close(): Promise<void>;
}

export function startAcsServer(app: AppContext, host: Pick<ServiceHost<unknown>, 'upgrade' | 'authenticate'>,
  config: Pick<EcsConfig, 'agentGraceSeconds' | 'acs' | 'lostAfterSeconds'>): AcsServer {
  const timings = config.acs;
  // By default a heartbeat every 10 s, and at least three per grace period: a shorter grace
  // (--agent-grace 3) must not show a live agent disconnected between two heartbeats.
  const heartbeatMs = timings.heartbeatMs ?? Math.max(100, Math.min(10_000, (config.agentGraceSeconds * 1000) / 3));
  const full: AcsTimings = {
    heartbeatMs,
    manifestMs: timings.manifestMs ?? Math.max(60_000, heartbeatMs * 6),
    touchMs: timings.touchMs ?? Math.min(5_000, heartbeatMs),
    ackTimeoutMs: timings.ackTimeoutMs ?? heartbeatMs * 3,
    // A session silent (no frame, no pong to the ping of every heartbeat) for 2 heartbeats is
    // closed, checked every quarter heartbeat: at most 2.25 heartbeats after the last pong, within
    // the grace period (3 heartbeats by default) — a half-open connection ends on this side
    // before the agent would show disconnected.
    silentMs: timings.silentMs ?? heartbeatMs * 2,
  };
  const wss = new WebSocketServer({ noServer: true });
  // What the upgrade response tells Berth's agent (HEARTBEAT_HEADER, FENCE_AFTER_HEADER).
  const extraHeaders = new WeakMap<IncomingMessage, string[]>();
  wss.on('headers', (headers, req) => { headers.push(...(extraHeaders.get(req) ?? [])); });
  const sessions = new Map<string, AcsSession>();
  const counters: AcsCounters = { stopVerifications: 0, stopsConfirmed: 0, stopsRefused: 0 };
  /** Who signed each session's upgrade. */
  const principals = new WeakMap<AcsSession, string>();

  host.upgrade(ACS_PATH, async (req, socket, head) => {
    const target = await connectTarget(app, host, req, ACS_PARAMS);
    if ('status' in target) { refuse(socket, target.status, target.message); return; }
    // Strict mode: another principal cannot take over a connected instance's session (and its manifest).
    const current = sessions.get(target.instanceArn);
    if (app.config.auth === 'strict' && current && principals.get(current) !== target.ctx.principalArn) {
      refuse(socket, 403, `${target.ctx.principalArn} cannot connect for ${target.instanceArn}: another principal's agent holds its session`);
      return;
    }
    const fenceAfter = target.selfFences && config.lostAfterSeconds > 0 ? [`${FENCE_AFTER_HEADER}: ${config.lostAfterSeconds * 1000}`] : [];
    extraHeaders.set(req, [`${HEARTBEAT_HEADER}: ${heartbeatMs}`, ...fenceAfter]);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const fields = { account: target.ctx.account, cluster: target.cluster, instance: target.instanceArn.slice(target.instanceArn.lastIndexOf('/') + 1) };
      const session = new AcsSession(target.ctx, ws, target.cluster, target.clusterArn, target.instanceArn, full, (s) => {
        if (sessions.get(s.instanceArn) === s) sessions.delete(s.instanceArn);
        app.log.info('agent.disconnected', fields);
      }, target.versionInfo, counters, target.selfFences, (s) => app.log.info('agent.silent', { ...fields, silentMs: full.silentMs }));
      app.log.info('agent.connected', fields);
      sessions.get(target.instanceArn)?.close('Replaced by a newer connection of the same container instance.');
      sessions.set(target.instanceArn, session);
      principals.set(session, target.ctx.principalArn);
      session.start().catch((err) => { console.error('acs: session failed to start', err); session.terminate(); });
    });
  });

  return {
    sessions,
    counters,
    timings: full,
    async close() {
      for (const s of [...sessions.values()]) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The query parameters naming the instance and its cluster: ACS's, or TCS's (cluster,
 *  containerInstance); and the IAM action the connection is authorized as (ecs:Poll, ecs:StartTelemetrySession). */
export interface TargetParams { instance: string; cluster: string; operation: 'Poll' | 'StartTelemetrySession' }
const ACS_PARAMS: TargetParams = { instance: 'containerInstanceArn', cluster: 'clusterArn', operation: 'Poll' };

export type Target = { ctx: RequestContext; cluster: string; clusterArn: string; instanceArn: string; versionInfo: VersionInfo; selfFences: boolean }
  | { status: number; message: string };

/** Who is connecting, for which instance: the scope comes from the instance ARN, which must match
 *  the signing account (when that is a 12-digit account) and the clusterArn parameter. */
export async function connectTarget(app: AppContext, host: Pick<ServiceHost<unknown>, 'authenticate'>, req: IncomingMessage,
  params: TargetParams): Promise<Target> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const instanceArn = url.searchParams.get(params.instance) ?? '';
  const parsed = parseArn(instanceArn);
  const m = parsed && parsed.service === 'ecs' ? /^container-instance\/([^/]+)\/([^/]+)$/.exec(parsed.resource) : null;
  if (!parsed || !m) return { status: 400, message: `${params.instance} must be a container instance ARN, got '${instanceArn}'` };
  const cluster = m[1];
  const clusterParam = url.searchParams.get(params.cluster) ?? cluster;
  let named: string | undefined;
  // Another account's or region's cluster ARN names no cluster of this instance's scope.
  try { named = ownClusterName({ account: parsed.account, region: parsed.region }, clusterParam); } catch { named = undefined; }
  if (named !== cluster) return { status: 400, message: `${params.cluster} '${clusterParam}' does not match the container instance's cluster '${cluster}'` };
  let principal;
  try { principal = await host.authenticate(req); } catch (err) {
    if (err instanceof AwsError) return { status: 403, message: `${err.code}: ${err.message}` };
    throw err;
  }
  // Strict mode: the signing principal's account must own the instance, and its policies must allow
  // ecs:Poll on the cluster (an instance role); open mode checks a 12-digit key's account only.
  const strict = app.config.auth === 'strict';
  if ((strict || /^\d{12}$/.test(principal.accessKeyId)) && principal.account !== parsed.account) {
    return { status: 403, message: `account ${principal.account} cannot connect for ${instanceArn}` };
  }
  const ctx: RequestContext = {
    requestId: app.ids.uuid(), account: parsed.account, region: parsed.region, accessKeyId: principal.accessKeyId,
    principalArn: principal.principalArn, service: 'ecs', operation: 'AcsConnect', app,
  };
  try {
    await app.authorize({ ...ctx, operation: params.operation, protocol: 'awsJson1_1' }, { cluster: clusterParam, containerInstance: instanceArn });
  } catch (err) {
    if (err instanceof AwsError) return { status: 403, message: `${err.code}: ${err.message}` };
    throw err;
  }
  // A deregistered instance is refused before the upgrade, with the body the ECS agent decodes
  // as InactiveInstanceException (it then stops reconnecting for an hour).
  const instance = await db(ctx).containerInstances.get(ctx, `${cluster}/${instanceIdOf(instanceArn)}`);
  if (!instance || instance.status === 'INACTIVE') {
    return { status: 400, message: inactiveInstanceBody(`The container instance ${instanceArn} is not registered (or no longer ACTIVE) in cluster ${cluster}.`) };
  }
  const versionInfo: VersionInfo = {
    agentVersion: url.searchParams.get('agentVersion') ?? undefined,
    agentHash: url.searchParams.get('agentHash') ?? undefined,
    dockerVersion: url.searchParams.get('dockerVersion') ?? undefined,
  };
  return { ctx, cluster, clusterArn: clusterParam.startsWith('arn:') ? clusterParam : arn('ecs', parsed.region, parsed.account, `cluster/${cluster}`), instanceArn, versionInfo,
    selfFences: instance.attributes?.some((a) => a.name === SELF_FENCE_CAPABILITY) === true };
}

export function refuse(socket: Duplex, status: number, message: string) {
  const reason = status === 403 ? 'Forbidden' : 'Bad Request';
  const type = message.startsWith('{') ? 'application/json' : 'text/plain';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(message)}\r\nconnection: close\r\n\r\n${message}`);
}

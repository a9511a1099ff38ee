// The telemetry websocket (TCS), as the Amazon ECS agent speaks it (aws/amazon-ecs-agent 1.101.2,
// ecs-agent/tcs/): the agent dials `<telemetryEndpoint>/ws?cluster=…&containerInstance=…&agentVersion=…
// &agentHash=…[&dockerVersion=…]` with a SigV4-signed upgrade (service `ecs`). Every frame it sends
// is a signed request's header block (`Authorization: …\r\nX-Amz-Date: …\r\n…\r\n\r\n`) followed by
// the JSON message `{"type": "<Shape>", "message": {...}}`; the server answers each publish with
// its Ack* message and sends HeartbeatMessage {healthy} regularly (any of them keeps the agent's
// connection alive). DiscoverPollEndpoint's `telemetryEndpoint` is `<base>/tcs`.
import type { HealthStatus } from './acs.js';

export const TCS_PREFIX = '/tcs';
export const TCS_PATH = `${TCS_PREFIX}/ws`;

/** api-2.json `CWStatsSet`: min, max, sum and count of samples over the period. */
export interface CWStatsSet { min?: number; max?: number; sampleCount?: number; sum?: number }

export interface ContainerMetric {
  containerArn?: string;
  containerName?: string;
  /** CPU used, in percent of the whole instance (all its cores). */
  cpuStatsSet?: CWStatsSet;
  /** Memory used, MiB. */
  memoryStatsSet?: CWStatsSet;
  networkStatsSet?: Record<string, unknown>;
  storageStatsSet?: Record<string, unknown>;
  restartStatsSet?: { restartCount?: number };
}

export interface TaskMetric {
  taskArn?: string;
  clusterArn?: string;
  taskDefinitionFamily?: string;
  taskDefinitionVersion?: string;
  containerMetrics?: ContainerMetric[];
}

export interface PublishMetricsRequest {
  metadata?: { cluster?: string; containerInstance?: string; messageId?: string; idle?: boolean; fin?: boolean };
  instanceMetrics?: { storage?: { rootFilesystem?: number; dataFilesystem?: number } };
  taskMetrics?: TaskMetric[];
  /** Seconds since the epoch (the agent's JSON encoding of a timestamp is an RFC 3339 string). */
  timestamp?: number | string;
}

export interface TcsContainerHealth { containerName?: string; healthStatus?: HealthStatus; statusSince?: number | string; statusMessage?: string }
export interface TcsTaskHealth {
  taskArn?: string; clusterArn?: string; taskDefinitionFamily?: string; taskDefinitionVersion?: string; containers?: TcsContainerHealth[];
}

export interface PublishHealthRequest {
  metadata?: { cluster?: string; containerInstance?: string; messageId?: string; fin?: boolean };
  tasks?: TcsTaskHealth[];
  timestamp?: number | string;
}

export type InstanceHealthcheckStatus = 'OK' | 'IMPAIRED' | 'INSUFFICIENT_DATA' | 'INITIALIZING';
export interface InstanceStatus { type?: string; status?: InstanceHealthcheckStatus; lastUpdated?: number | string; lastStatusChange?: number | string }

export interface PublishInstanceStatusRequest {
  metadata?: { cluster?: string; containerInstance?: string; requestId?: string };
  statuses?: InstanceStatus[];
  timestamp?: number | string;
}

/** Agent → server. */
export type TcsAgentMessage =
  | { type: 'PublishMetricsRequest'; message: PublishMetricsRequest }
  | { type: 'PublishHealthRequest'; message: PublishHealthRequest }
  | { type: 'PublishInstanceStatusRequest'; message: PublishInstanceStatusRequest }
  | { type: 'StartTelemetrySessionRequest'; message: { cluster?: string; containerInstance?: string } };

/** Server → agent. */
export type TcsServerMessage =
  | { type: 'HeartbeatMessage'; message: { healthy: boolean } }
  | { type: 'AckPublishMetric'; message: { message: string } }
  | { type: 'AckPublishHealth'; message: { message: string } }
  | { type: 'AckPublishInstanceStatus'; message: { message: string } }
  | { type: 'StopTelemetrySessionMessage'; message: { message: string } }
  | { type: 'BadRequestException' | 'ServerException' | 'InvalidParameterException'; message: { message: string } };

/** One received frame: its signed header block (lower-case names; empty for a bare JSON frame)
 *  and the JSON message after it. */
export interface TcsFrame { headers: Record<string, string>; body: string }

/** Splits a frame into its header block and JSON body. */
export function parseFrame(data: string): TcsFrame {
  if (data.trimStart().startsWith('{')) return { headers: {}, body: data };
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('frame has a header block without its end (an empty line)');
  const headers: Record<string, string> = {};
  for (const line of data.slice(0, end).split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`malformed header line in frame: ${line.slice(0, 100)}`);
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] ? `${headers[name]},${value}` : value;
  }
  return { headers, body: data.slice(end + 4) };
}

/** A frame as the agent writes it (Go's http.Header.Write, then an empty line, then the JSON). */
export function formatFrame(headers: Record<string, string>, body: string): string {
  const block = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `${block}\r\n${body}`;
}

/** A timestamp field (seconds since the epoch, or RFC 3339) as a Date; undefined when absent or bad. */
export function tcsTime(value: number | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

// The agent ↔ server websocket protocol, in the style of the ECS agent's ACS: JSON frames
// {"type": "<Shape>", "message": {...}}. The agent connects to the endpoint DiscoverPollEndpoint
// returns: `<endpoint>/ws?clusterArn=…&containerInstanceArn=…&seqNum=1&protocolVersion=2`
// (SigV4-signed upgrade request, service `ecs`). Task state goes back as ordinary ECS API calls
// (SubmitTaskStateChange / SubmitContainerStateChange), not over this socket.
import type { TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';

/** One task as the server wants it on this instance. */
export interface AcsTask {
  arn: string;
  /** RUNNING or STOPPED: the agent converges the task to this. */
  desiredStatus: 'RUNNING' | 'STOPPED';
  taskDefinition: TaskDefinition;
  overrides?: TaskOverride;
  startedBy?: string;
  group?: string;
  /** Host ports the server reserved for the task (from placement), per container name. */
  reservedPorts?: Record<string, { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[]>;
  /** Why the server wants it stopped (becomes stoppedReason), e.g. "Task stopped by user". */
  stoppedReason?: string;
  stopCode?: string;
  /** Bumped on every desired-state change of the task. */
  generation: number;
}

/** Server → agent. */
export type ServerMessage =
  | { type: 'PayloadMessage'; message: { messageId: string; clusterArn: string; containerInstanceArn: string; seqNum: number; tasks: AcsTask[] } }
  /** The complete set of tasks the instance should know about (sent on connect and periodically):
   *  a running task not in the manifest is stopped by the agent. */
  | { type: 'TaskManifestMessage'; message: { messageId: string; clusterArn: string; containerInstanceArn: string; timeline: number; tasks: AcsTask[] } }
  | { type: 'HeartbeatMessage'; message: { messageId: string; healthy: boolean } }
  | { type: 'CloseMessage'; message: { message: string } }
  | { type: 'InactiveInstanceException'; message: { message: string } };

/** Agent → server. */
export type AgentMessage =
  | { type: 'AckRequest'; message: { cluster: string; containerInstance: string; messageId: string } }
  | { type: 'HeartbeatAckRequest'; message: { messageId: string } }
  /** Berth extension (additive): task and container health from the runtime's health checks,
   *  which the public SubmitTaskStateChange cannot carry. Sent when a task's health changes and
   *  again after every (re)connect; no ack. Only tasks with at least one health check appear. */
  | { type: 'TaskHealthRequest'; message: { cluster: string; containerInstance: string; tasks: TaskHealth[] } };

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** A task's health as ECS computes it: UNHEALTHY if an essential container is, HEALTHY when every
 *  essential container with a health check is, else UNKNOWN. */
export interface TaskHealth {
  taskArn: string;
  healthStatus: HealthStatus;
  containers: { containerName: string; healthStatus: HealthStatus }[];
}

export const ACS_PATH = '/ws';

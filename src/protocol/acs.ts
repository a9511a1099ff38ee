// The agent ↔ server websocket protocol: the Amazon ECS agent's ACS, exactly as its public source
// defines it (aws/amazon-ecs-agent 1.101.2, ecs-agent/acs/model/api/api-2.json and
// ecs-agent/acs/session/). Frames are JSON {"type": "<Shape>", "message": {...}}. The agent
// connects to the endpoint DiscoverPollEndpoint returns:
//   <endpoint>/ws?clusterArn=…&containerInstanceArn=…&agentHash=…&agentVersion=…&dockerVersion=…
//                &seqNum=1&protocolVersion=2&sendCredentials=…
// (SigV4-signed upgrade request, service `ecs`). Task state goes back as ordinary ECS API calls
// (SubmitTaskStateChange / SubmitContainerStateChange); health and metrics go over TCS
// (src/protocol/tcs.ts). Both the real agent and Berth's agent speak exactly this.
//
// seqNum (PayloadMessage) and timeline (TaskManifestMessage) share one increasing counter per
// container instance: the agent ignores a manifest whose timeline is not above the highest
// sequence number it has seen, and lists the RUNNING tasks a newer manifest leaves out in a
// TaskStopVerificationMessage; it stops only the ones the server names in its
// TaskStopVerificationAck.
import type { TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';

export const ACS_PATH = '/ws';

/** api-2.json `PortMapping`. */
export interface WirePortMapping { containerPort?: number; hostPort?: number; containerPortRange?: string; protocol?: 'tcp' | 'udp' }

/** api-2.json `DockerConfig`: Docker Engine API `Config` / `HostConfig` fragments, as JSON strings. */
export interface WireDockerConfig { version?: string; config?: string; hostConfig?: string }

/** api-2.json `Container`. */
export interface WireContainer {
  name: string;
  image: string;
  command?: string[];
  entryPoint?: string[];
  cpu?: number;
  memory?: number;
  essential?: boolean;
  environment?: Record<string, string>;
  environmentFiles?: { value?: string; type?: 's3' }[];
  links?: string[];
  mountPoints?: { sourceVolume?: string; containerPath?: string; readOnly?: boolean }[];
  volumesFrom?: { sourceContainer?: string; readOnly?: boolean }[];
  portMappings?: WirePortMapping[];
  privileged?: boolean;
  linuxParameters?: {
    capabilities?: { add?: string[]; drop?: string[] };
    devices?: { hostPath?: string; containerPath?: string; permissions?: string[] }[];
    initProcessEnabled?: boolean;
    sharedMemorySize?: number;
  };
  dockerConfig?: WireDockerConfig;
  healthCheckType?: 'docker';
  secrets?: { name?: string; valueFrom?: string; type?: string; provider?: string; target?: string; region?: string; containerPath?: string }[];
  dependsOn?: { containerName?: string; condition?: 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY' }[];
  startTimeout?: number;
  stopTimeout?: number;
  /** Container overrides as a JSON string; the agent reads only `command` from it. */
  overrides?: string;
  firelensConfiguration?: { type?: string; options?: Record<string, string> };
  logsAuthStrategy?: 'ExecutionRole';
  containerArn?: string;
}

/** api-2.json `Volume`. */
export interface WireVolume {
  name: string;
  type?: 'host' | 'docker' | 'efs' | 'fsxWindowsFileServer' | 'ebs';
  host?: { sourcePath?: string };
  dockerVolumeConfiguration?: { scope?: 'task' | 'shared'; autoprovision?: boolean; driver?: string; driverOpts?: Record<string, string>; labels?: Record<string, string> };
  efsVolumeConfiguration?: Record<string, unknown>;
}

/** api-2.json `IAMRoleCredentials`. */
export interface WireRoleCredentials {
  credentialsId: string; roleArn: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string;
  expiration: string; credentialScope?: string;
}

/** api-2.json `Task`: flat containers, `version` = the task definition revision as a string,
 *  `overrides` = the task's overrides as a JSON string, task `cpu` in vCPUs. */
export interface WireTask {
  arn: string;
  taskClusterArn?: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  family: string;
  version: string;
  overrides?: string;
  containers: WireContainer[];
  volumes?: WireVolume[];
  networkMode?: string;
  cpu?: number;
  memory?: number;
  pidMode?: string;
  ipcMode?: string;
  launchType?: string;
  serviceName?: string;
  taskDefinitionAccountId?: string;
  roleCredentials?: WireRoleCredentials;
  executionRoleCredentials?: WireRoleCredentials;
  /** Berth's extension, sent only to agents registered with SELF_FENCE_CAPABILITY: the agent stops
   *  this task itself once it has heard nothing from the server for its fence deadline. */
  berthSelfFence?: boolean;
}

/** The attribute a Berth agent registers with: it stops its service tasks itself when cut off
 *  from the server for the deadline the server gives it (FENCE_AFTER_HEADER). */
export const SELF_FENCE_CAPABILITY = 'berth.capability.self-fence';
/** Upgrade response headers of an ACS session (Berth's agent reads them; others ignore them):
 *  the heartbeat interval, and for self-fencing agents the silence after which they fence. */
export const HEARTBEAT_HEADER = 'x-berth-heartbeat-ms';
export const FENCE_AFTER_HEADER = 'x-berth-fence-after-ms';

/** api-2.json `TaskIdentifier`. */
export interface TaskIdentifier { taskArn: string; taskClusterArn: string; desiredStatus: 'RUNNING' | 'STOPPED' }

export interface PayloadMessage {
  messageId: string; clusterArn: string; containerInstanceArn: string; generatedAt?: number; seqNum: number; tasks: WireTask[];
}
export interface TaskManifestMessage {
  messageId: string; clusterArn: string; containerInstanceArn: string; generatedAt?: number; timeline: number; tasks: TaskIdentifier[];
}

/** Server → agent (the type strings are the agent's Go type names). */
export type ServerMessage =
  | { type: 'PayloadMessage'; message: PayloadMessage }
  | { type: 'TaskManifestMessage'; message: TaskManifestMessage }
  /** The answer to a TaskStopVerificationMessage: the candidates the agent may stop. */
  | { type: 'TaskStopVerificationAck'; message: { messageId: string; generatedAt?: number; stopTasks: TaskIdentifier[] } }
  | { type: 'HeartbeatMessage'; message: { messageId: string; healthy: boolean } }
  /** Fresh credentials for a task's role (api-2.json `IAMRoleCredentialsMessage`); acknowledged with
   *  an IAMRoleCredentialsAckRequest. */
  | { type: 'IAMRoleCredentialsMessage'; message: { messageId: string; clusterArn?: string; taskArn: string; roleType: 'TaskApplication' | 'TaskExecution'; roleCredentials: WireRoleCredentials } }
  | { type: 'CloseMessage'; message: { message: string } }
  | { type: 'InactiveInstanceException'; message: { message: string } };

/** Agent → server. */
export type AgentMessage =
  | { type: 'AckRequest'; message: { cluster: string; containerInstance: string; messageId: string } }
  | { type: 'NackRequest'; message: { cluster: string; containerInstance: string; messageId: string; reason?: string } }
  | { type: 'HeartbeatAckRequest'; message: { messageId: string } }
  /** Tasks running on the agent that the latest manifest does not list; messageId is the manifest's. */
  | { type: 'TaskStopVerificationMessage'; message: { messageId: string; stopCandidates: TaskIdentifier[] } }
  | { type: 'IAMRoleCredentialsAckRequest'; message: { messageId: string; expiration?: string; credentialsId?: string } };

/** The refusal body of an upgrade for a deregistered instance (the agent's error decoder reads
 *  `{"<ExceptionType>": "<message>"}` and backs off an hour on InactiveInstanceException). */
export const inactiveInstanceBody = (message: string) => JSON.stringify({ InactiveInstanceException: message });

/** The query string's version information (PollRequest `versionInfo`). */
export interface VersionInfo { agentVersion?: string; agentHash?: string; dockerVersion?: string }

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** A task's health as ECS computes it: UNHEALTHY if an essential container is, HEALTHY when every
 *  essential container with a health check is, else UNKNOWN. */
export interface TaskHealth {
  taskArn: string;
  healthStatus: HealthStatus;
  containers: { containerName: string; healthStatus: HealthStatus }[];
}

/** A wire Task as Berth's agent holds it (src/protocol/acs-task.ts decodes it): the task
 *  definition rebuilt from the flat containers, and the desired state. Never on the wire. */
export interface AcsTask {
  arn: string;
  /** RUNNING or STOPPED: the agent converges the task to this. */
  desiredStatus: 'RUNNING' | 'STOPPED';
  taskDefinition: TaskDefinition;
  /** Task-level overrides (container overrides are already merged into the containers). */
  overrides?: TaskOverride;
  startedBy?: string;
  group?: string;
  /** The agent stops it itself when cut off from the server (self-fencing). */
  selfFence?: boolean;
  /** Host ports per container name (static mappings; dynamic ones are the agent's choice). */
  reservedPorts?: Record<string, { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[]>;
  /** Why it is to be stopped, when the agent decided it (not carried by the protocol). */
  stoppedReason?: string;
  stopCode?: string;
  /** The credentialsId of the task role's credentials (the container's
   *  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI names it) and of the execution role's. */
  credentialsId?: string;
  executionCredentialsId?: string;
  /** 1 while desired RUNNING, 2 once desired STOPPED: desired state only moves forward. */
  generation: number;
}

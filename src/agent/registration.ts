// RegisterContainerInstance as the ECS agent sends it: total resources (CPU 1024/vCPU, MEMORY MiB,
// the reserved PORTS), the built-in and capability attributes, custom attributes, versionInfo, an
// EC2-style identity document, and — after a restart — the saved ARN so the instance keeps it.
import { BIND_MOUNTS_ATTRIBUTE, HOST_NETWORK_ATTRIBUTE } from '../common/host-protection.js';
import { RegisterContainerInstanceCommand, type Attribute, type ECSClient, type RegisterContainerInstanceRequest, type Resource } from '@aws-sdk/client-ecs';
import { remoteApiVersions } from './engine-probe.js';
import { SELF_FENCE_CAPABILITY } from '../protocol/acs.js';

/** Ports the ECS agent always reserves: ssh, the Docker daemon, the agent's introspection API. */
export const RESERVED_PORTS = [22, 2375, 2376, 51678, 51679];

export interface InstanceIdentity {
  cluster: string;
  region: string;
  availabilityZone: string;
  instanceType?: string;
  ec2InstanceId: string;
  /** The address host ports bind on. */
  ip: string;
  cpu: number;
  memory: number;
  architecture: string;
  attributes: Record<string, string>;
  agentVersion: string;
  /** Engine version ("20.10.24"), or undefined for the simulated runtime. */
  dockerVersion?: string;
  dockerApiVersion?: string;
  runtime: 'docker' | 'simulated';
  /** ECS_DISABLE_PRIVILEGED: the instance does not offer privileged containers (their tasks then
   *  fail placement on the missing privileged-container capability). */
  disablePrivileged?: boolean;
  /** Host protection, registered as Berth attributes (src/common/host-protection.ts). */
  disableHostNetwork?: boolean;
  allowedBindMounts?: readonly string[];
  /** The container credentials endpoint runs: tasks with a task role may be placed here. */
  taskIamRole?: boolean;
}

const PRIVILEGED = 'com.amazonaws.ecs.capability.privileged-container';
const CAPABILITIES = [
  'com.amazonaws.ecs.capability.privileged-container',
  'com.amazonaws.ecs.capability.logging-driver.json-file',
  'com.amazonaws.ecs.capability.logging-driver.none',
  'com.amazonaws.ecs.capability.logging-driver.awslogs',
  'ecs.capability.execution-role-awslogs',
  'ecs.capability.docker-plugin.local',
  'ecs.capability.task-cpu-mem-limit',
  'ecs.capability.container-health-check',
  'ecs.capability.container-ordering',
  'ecs.capability.full-sync',
  'ecs.capability.increased-task-cpu-limit',
  // Berth's own: this agent stops its service tasks when cut off from the server (self-fencing).
  SELF_FENCE_CAPABILITY,
];

const TASK_IAM_ROLE = ['com.amazonaws.ecs.capability.task-iam-role', 'com.amazonaws.ecs.capability.task-iam-role-network-host'];

/** The attributes an agent registers with: built-ins, capabilities, then custom ones (which win). */
export function instanceAttributes(id: InstanceIdentity): Attribute[] {
  const attrs = new Map<string, string | undefined>([
    ['ecs.os-type', 'linux'],
    ['ecs.os-family', 'LINUX'],
    ['ecs.cpu-architecture', id.architecture],
    ['ecs.availability-zone', id.availabilityZone],
  ]);
  if (id.instanceType) attrs.set('ecs.instance-type', id.instanceType);
  for (const v of remoteApiVersions(id.dockerApiVersion ?? '1.44')) attrs.set(`com.amazonaws.ecs.capability.docker-remote-api.${v}`, undefined);
  for (const c of CAPABILITIES) if (!(id.disablePrivileged && c === PRIVILEGED)) attrs.set(c, undefined);
  if (id.taskIamRole) for (const c of TASK_IAM_ROLE) attrs.set(c, undefined);
  if (id.disableHostNetwork) attrs.set(HOST_NETWORK_ATTRIBUTE, 'disabled');
  if (id.allowedBindMounts) attrs.set(BIND_MOUNTS_ATTRIBUTE, id.allowedBindMounts.join(':') || 'none');
  for (const [k, v] of Object.entries(id.attributes)) attrs.set(k, v === '' ? undefined : v);
  return [...attrs].map(([name, value]) => (value === undefined ? { name } : { name, value }));
}

export function totalResources(id: InstanceIdentity): Resource[] {
  return [
    { name: 'CPU', type: 'INTEGER', integerValue: id.cpu },
    { name: 'MEMORY', type: 'INTEGER', integerValue: id.memory },
    { name: 'PORTS', type: 'STRINGSET', stringSetValue: RESERVED_PORTS.map(String) },
    { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
  ];
}

/** The EC2 instance identity document the agent presents (Berth reads privateIp as the agent's --ip). */
export function identityDocument(id: InstanceIdentity): string {
  return JSON.stringify({
    instanceId: id.ec2InstanceId,
    instanceType: id.instanceType,
    availabilityZone: id.availabilityZone,
    region: id.region,
    privateIp: id.ip,
    architecture: id.architecture,
    imageId: `berth-${id.runtime}`,
  });
}

export function registrationRequest(id: InstanceIdentity, savedArn?: string): RegisterContainerInstanceRequest {
  return {
    cluster: id.cluster,
    containerInstanceArn: savedArn,
    instanceIdentityDocument: identityDocument(id),
    totalResources: totalResources(id),
    attributes: instanceAttributes(id),
    versionInfo: {
      agentVersion: id.agentVersion,
      agentHash: 'berth',
      dockerVersion: `DockerVersion: ${id.dockerVersion ?? `simulated-${id.agentVersion}`}`,
    },
  };
}

/** Registers (or re-registers with savedArn); returns the container instance ARN. */
export async function register(ecs: ECSClient, id: InstanceIdentity, savedArn?: string): Promise<string> {
  const out = await ecs.send(new RegisterContainerInstanceCommand(registrationRequest(id, savedArn)));
  const arn = out.containerInstance?.containerInstanceArn;
  if (!arn) throw new Error('RegisterContainerInstance answered without a containerInstanceArn');
  return arn;
}

// What ECS derives from a task definition at registration: the launch types it is compatible with
// (`compatibilities`) and the container-instance attributes it needs (`requiresAttributes`).
import type { Attribute, Compatibility, ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';

/** Fargate task sizes: cpu units → allowed memory (MiB). */
const FARGATE_SIZES: Record<string, { min: number; max: number; step: number } | number[]> = {
  256: [512, 1024, 2048],
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

export function isFargateSize(cpu: string, memory: string): boolean {
  const sizes = FARGATE_SIZES[cpu];
  const mib = Number(memory);
  if (!sizes) return false;
  if (Array.isArray(sizes)) return sizes.includes(mib);
  return mib >= sizes.min && mib <= sizes.max && (mib - sizes.min) % sizes.step === 0;
}

const FARGATE_LOG_DRIVERS = ['awslogs', 'splunk', 'awsfirelens'];

/** Why the (normalized) task definition cannot run on Fargate, in ECS's words; undefined if it can. */
export function fargateIncompatibility(td: TaskDefinition): string | undefined {
  if (td.networkMode !== 'awsvpc') return 'Fargate only supports network mode ‘awsvpc’.';
  if (td.cpu === undefined) return "Fargate requires that 'cpu' be defined at the task level.";
  if (td.memory === undefined) return "Fargate requires that 'memory' be defined at the task level.";
  if (!isFargateSize(td.cpu, td.memory)) {
    return `No Fargate configuration exists for given values: ${td.cpu} CPU, ${td.memory} memory. See the Amazon ECS documentation for the valid values.`;
  }
  if (td.ipcMode !== undefined) return 'Tasks using the Fargate launch type do not support ipcMode.';
  if (td.pidMode === 'host') return "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.";
  if (td.placementConstraints?.length) return 'Tasks using the Fargate launch type do not support placementConstraints.';
  if (td.inferenceAccelerators?.length) return 'Tasks using the Fargate launch type do not support inferenceAccelerators.';
  for (const v of td.volumes ?? []) {
    if (v.host?.sourcePath !== undefined) return `Tasks using the Fargate launch type do not support host volumes with a sourcePath (volume '${v.name}').`;
    if (v.dockerVolumeConfiguration) return `Tasks using the Fargate launch type do not support dockerVolumeConfiguration (volume '${v.name}').`;
    if (v.fsxWindowsFileServerVolumeConfiguration) return `Tasks using the Fargate launch type do not support fsxWindowsFileServerVolumeConfiguration (volume '${v.name}').`;
  }
  for (const c of td.containerDefinitions ?? []) {
    if (c.privileged) return `Tasks using the Fargate launch type do not support privileged containers (container '${c.name}').`;
    if (c.links?.length) return `Tasks using the Fargate launch type do not support links (container '${c.name}').`;
    if (c.linuxParameters?.devices?.length) return `Tasks using the Fargate launch type do not support devices (container '${c.name}').`;
    if (c.resourceRequirements?.some((r) => r.type === 'GPU')) return `Tasks using the Fargate launch type do not support GPU resources (container '${c.name}').`;
    const driver = c.logConfiguration?.logDriver;
    if (driver && !FARGATE_LOG_DRIVERS.includes(driver)) {
      return `Tasks using the Fargate launch type only support the awslogs, splunk and awsfirelens log drivers (container '${c.name}' uses ${driver}).`;
    }
  }
  return undefined;
}

/**
 * Launch types the definition validates against. EC2 always; EXTERNAL (ECS Anywhere) for the
 * bridge/host/none network modes without EFS/FSx volumes; FARGATE when it passes the Fargate
 * rules; MANAGED_INSTANCES when a network mode it supports (awsvpc, host, none) is set explicitly.
 */
export function compatibilities(td: TaskDefinition): Compatibility[] {
  const out: Compatibility[] = [];
  const external = td.networkMode !== 'awsvpc'
    && !(td.volumes ?? []).some((v) => v.efsVolumeConfiguration || v.fsxWindowsFileServerVolumeConfiguration);
  if (external) out.push('EXTERNAL');
  out.push('EC2');
  if (!fargateIncompatibility(td)) out.push('FARGATE');
  if (td.networkMode === 'awsvpc' || td.networkMode === 'host' || td.networkMode === 'none') out.push('MANAGED_INSTANCES');
  return out;
}

const CAP = 'com.amazonaws.ecs.capability.';
const ECS_CAP = 'ecs.capability.';
const ECR_IMAGE = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

const secretStore = (valueFrom: string | undefined) => (/^arn:[^:]+:secretsmanager:/.test(valueFrom ?? '') ? 'asm' : 'ssm');

/**
 * The container-instance attributes a task definition requires, as ECS computes them: the agent
 * capability (`ecs.capability.*`, `com.amazonaws.ecs.capability.*`) behind each feature used, and
 * the Docker Remote API version a parameter needs (the API reference states 1.18 for logging,
 * labels and ulimits, 1.19 for log options, 1.25 for init; 1.21 for memoryReservation, 1.28 for
 * the log `mode` options and 1.29 for awslogs-create-group are inferred from AWS responses).
 */
export function requiresAttributes(td: TaskDefinition): Attribute[] {
  const names = new Set<string>();
  const add = (name: string) => names.add(name);
  const remoteApi = (version: string) => add(`${CAP}docker-remote-api.${version}`);
  const containers = td.containerDefinitions ?? [];

  for (const c of containers) containerAttributes(c, td, add, remoteApi);
  if (td.taskRoleArn) {
    add(`${CAP}task-iam-role`);
    if (td.networkMode === 'host') add(`${CAP}task-iam-role-network-host`);
  }
  if (td.networkMode === 'awsvpc') {
    remoteApi('1.18');
    add(`${ECS_CAP}task-eni`);
  }
  for (const v of td.volumes ?? []) {
    if (v.efsVolumeConfiguration) {
      add(`${ECS_CAP}efs`);
      const efs = v.efsVolumeConfiguration;
      if (efs.transitEncryption === 'ENABLED' || efs.authorizationConfig?.accessPointId || efs.authorizationConfig?.iam === 'ENABLED') add(`${ECS_CAP}efsAuth`);
    }
    if (v.dockerVolumeConfiguration) add(`${ECS_CAP}docker-plugin.${v.dockerVolumeConfiguration.driver ?? 'local'}`);
    if (v.fsxWindowsFileServerVolumeConfiguration) add(`${ECS_CAP}fsxWindowsFileServer`);
  }
  if (td.proxyConfiguration) add(`${ECS_CAP}aws-appmesh`);
  return [...names].map((name) => ({ name }));
}

function containerAttributes(c: ContainerDefinition, td: TaskDefinition, add: (n: string) => void, remoteApi: (v: string) => void) {
  const log = c.logConfiguration;
  if (log?.logDriver) {
    add(`${CAP}logging-driver.${log.logDriver}`);
    remoteApi('1.18');
    const options = log.options ?? {};
    if (Object.keys(options).length) remoteApi('1.19');
    if ('mode' in options || 'max-buffer-size' in options) remoteApi('1.28');
    if (log.logDriver === 'awslogs') {
      if (td.executionRoleArn) add(`${ECS_CAP}execution-role-awslogs`);
      if ('awslogs-create-group' in options) remoteApi('1.29');
    }
    for (const s of log.secretOptions ?? []) add(`${ECS_CAP}secrets.${secretStore(s.valueFrom)}.bootstrap.log-driver`);
  }
  if (c.image && ECR_IMAGE.test(c.image)) {
    add(`${CAP}ecr-auth`);
    if (td.executionRoleArn) add(`${ECS_CAP}execution-role-ecr-pull`);
  }
  if (c.memoryReservation !== undefined) remoteApi('1.21');
  if (c.dockerLabels && Object.keys(c.dockerLabels).length) remoteApi('1.18');
  if (c.ulimits?.length) remoteApi('1.18');
  if (c.linuxParameters?.initProcessEnabled) remoteApi('1.25');
  if (c.privileged) add(`${CAP}privileged-container`);
  if (c.healthCheck) add(`${ECS_CAP}container-health-check`);
  if (c.dependsOn?.length || c.startTimeout !== undefined || c.stopTimeout !== undefined) add(`${ECS_CAP}container-ordering`);
  for (const s of c.secrets ?? []) add(`${ECS_CAP}secrets.${secretStore(s.valueFrom)}.environment-variables`);
  if (c.repositoryCredentials) add(`${ECS_CAP}private-registry-authentication.secretsmanager`);
  if (c.environmentFiles?.length) add(`${ECS_CAP}env-files.s3`);
  if (c.firelensConfiguration) {
    add(`${ECS_CAP}firelens.${c.firelensConfiguration.type}`);
    const fileType = c.firelensConfiguration.options?.['config-file-type'];
    if (fileType === 's3' || fileType === 'file') add(`${ECS_CAP}firelens.options.config.${fileType}`);
  }
  for (const opt of c.dockerSecurityOptions ?? []) {
    if (opt.startsWith('label')) add(`${CAP}selinux`);
    if (opt.startsWith('apparmor')) add(`${CAP}apparmor`);
  }
}

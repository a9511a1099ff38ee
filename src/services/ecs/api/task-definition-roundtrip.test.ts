import {
  DescribeTaskDefinitionCommand, RegisterTaskDefinition$, RegisterTaskDefinitionCommand,
  type ContainerDefinition, type RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import { NormalizedSchema } from '@smithy/core/schema';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';

const ROLE = 'arn:aws:iam::000000000000:role';
const ECR = '000000000000.dkr.ecr.us-east-1.amazonaws.com/app:1.0';

/** A container definition with every member of ContainerDefinition set. */
const app: Required<ContainerDefinition> = {
  name: 'app',
  image: ECR,
  repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:registry' },
  cpu: 512,
  memory: 1024,
  memoryReservation: 512,
  links: ['sidecar:side'],
  portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
  essential: true,
  restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 },
  entryPoint: ['/bin/sh', '-c'],
  command: ['exec nginx -g "daemon off;"'],
  environment: [{ name: 'MODE', value: 'prod' }],
  environmentFiles: [{ value: 'arn:aws:s3:::bucket/app.env', type: 's3' }],
  mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }],
  volumesFrom: [{ sourceContainer: 'sidecar', readOnly: true }],
  linuxParameters: {
    capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
    devices: [{ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: ['read', 'write'] }],
    initProcessEnabled: true,
    sharedMemorySize: 64,
    tmpfs: [{ containerPath: '/tmp', size: 32, mountOptions: ['rw'] }],
    maxSwap: 512,
    swappiness: 10,
  },
  secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/db' }],
  dependsOn: [{ containerName: 'sidecar', condition: 'HEALTHY' }],
  startTimeout: 30,
  stopTimeout: 20,
  versionConsistency: 'disabled',
  hostname: 'app.local',
  user: '1000:1000',
  workingDirectory: '/srv',
  disableNetworking: false,
  privileged: true,
  readonlyRootFilesystem: true,
  dnsServers: ['10.0.0.2'],
  dnsSearchDomains: ['example.internal'],
  extraHosts: [{ hostname: 'db', ipAddress: '10.0.0.5' }],
  dockerSecurityOptions: ['label:type:container_t'],
  interactive: true,
  pseudoTerminal: true,
  dockerLabels: { team: 'berth' },
  ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
  logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/app', 'awslogs-region': 'us-east-1' }, secretOptions: [] },
  healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/'], interval: 30, timeout: 5, retries: 3, startPeriod: 10 },
  systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
  resourceRequirements: [{ type: 'GPU', value: '1' }],
  firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } },
  credentialSpecs: ['credentialspecdomainless:arn:aws:s3:::bucket/spec.json'],
};

/** A second container, spelled out in full so no defaults are added to it either. */
const sidecar: ContainerDefinition = {
  name: 'sidecar', image: 'busybox', cpu: 0, memory: 128, portMappings: [], essential: false, environment: [], mountPoints: [], volumesFrom: [],
  healthCheck: { command: ['CMD', 'true'] },
};

/** A request with every member of RegisterTaskDefinitionRequest set. */
const request: Required<RegisterTaskDefinitionRequest> = {
  family: 'everything',
  containerDefinitions: [app, sidecar],
  taskRoleArn: `${ROLE}/task`,
  executionRoleArn: `${ROLE}/execution`,
  networkMode: 'bridge',
  volumes: [
    { name: 'data', host: { sourcePath: '/srv/data' } },
    { name: 'docker', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driver: 'local', driverOpts: { type: 'tmpfs' }, labels: { a: 'b' } } },
    { name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1234', rootDirectory: '/', transitEncryption: 'ENABLED', transitEncryptionPort: 2049,
      authorizationConfig: { accessPointId: 'fsap-1234', iam: 'ENABLED' } } },
    { name: 'fsx', fsxWindowsFileServerVolumeConfiguration: { fileSystemId: 'fs-5678', rootDirectory: 'share',
      authorizationConfig: { credentialsParameter: 'arn:aws:ssm:us-east-1:000000000000:parameter/fsx', domain: 'corp.example.com' } } },
    { name: 'later', configuredAtLaunch: true },
  ],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ g4dn.*' }],
  requiresCompatibilities: ['EC2'],
  cpu: '2048',
  memory: '4096',
  tags: [{ key: 'team', value: 'berth' }],
  pidMode: 'task',
  ipcMode: 'task',
  proxyConfiguration: { type: 'APPMESH', containerName: 'sidecar', properties: [{ name: 'AppPorts', value: '80' }] },
  inferenceAccelerators: [{ deviceName: 'device1', deviceType: 'eia2.medium' }],
  ephemeralStorage: { sizeInGiB: 30 },
  runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
  enableFaultInjection: true,
};

const memberNames = (schema: NormalizedSchema) => [...schema.structIterator()].map(([name]) => name).sort();

describe('ECS RegisterTaskDefinition round trip', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  it('the fixture sets every member the SDK model has', () => {
    const input = NormalizedSchema.of(RegisterTaskDefinition$[4] as never);
    assert.deepEqual(Object.keys(request).sort(), memberNames(input));
    assert.deepEqual(Object.keys(app).sort(), memberNames(input.getMemberSchema('containerDefinitions').getValueSchema()));
  });

  it('describes back every member exactly as registered', async () => {
    const registered = await h.ecs.send(new RegisterTaskDefinitionCommand(request));
    assert.deepEqual(registered.tags, request.tags);
    const { taskDefinition: td, tags } = await h.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'everything:1', include: ['TAGS'] }));
    assert.ok(td);
    assert.deepEqual(tags, request.tags);
    const { tags: _tags, ...members } = request;
    for (const [key, value] of Object.entries(members)) {
      assert.deepEqual((td as Record<string, unknown>)[key], value, `member ${key}`);
    }
    assert.deepEqual(registered.taskDefinition, td);
    assert.equal(td.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/everything:1');
    assert.deepEqual(td.compatibilities, ['EC2']);
    assert.deepEqual(new Set(td.requiresAttributes?.map((a) => a.name)), new Set([
      'com.amazonaws.ecs.capability.logging-driver.awslogs', 'com.amazonaws.ecs.capability.docker-remote-api.1.18',
      'com.amazonaws.ecs.capability.docker-remote-api.1.19', 'ecs.capability.execution-role-awslogs',
      'com.amazonaws.ecs.capability.ecr-auth', 'ecs.capability.execution-role-ecr-pull', 'com.amazonaws.ecs.capability.docker-remote-api.1.21',
      'com.amazonaws.ecs.capability.docker-remote-api.1.25', 'com.amazonaws.ecs.capability.privileged-container',
      'ecs.capability.container-health-check', 'ecs.capability.container-ordering', 'ecs.capability.secrets.ssm.environment-variables',
      'ecs.capability.private-registry-authentication.secretsmanager', 'ecs.capability.env-files.s3', 'ecs.capability.firelens.fluentbit',
      'com.amazonaws.ecs.capability.selinux', 'com.amazonaws.ecs.capability.task-iam-role', 'ecs.capability.efs', 'ecs.capability.efsAuth',
      'ecs.capability.docker-plugin.local', 'ecs.capability.fsxWindowsFileServer', 'ecs.capability.aws-appmesh',
    ]));
  });

  it('computes the attributes of a typical Fargate service definition', async () => {
    const r = await h.ecs.send(new RegisterTaskDefinitionCommand({
      family: 'svc', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '1024', memory: '2048',
      executionRoleArn: `${ROLE}/execution`,
      containerDefinitions: [{
        name: 'api', image: ECR, portMappings: [{ containerPort: 8080 }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api', 'awslogs-create-group': 'true', mode: 'non-blocking' } },
      }],
    }));
    assert.deepEqual(new Set(r.taskDefinition?.requiresAttributes?.map((a) => a.name)), new Set([
      'com.amazonaws.ecs.capability.logging-driver.awslogs', 'ecs.capability.execution-role-awslogs', 'com.amazonaws.ecs.capability.ecr-auth',
      'com.amazonaws.ecs.capability.docker-remote-api.1.19', 'com.amazonaws.ecs.capability.docker-remote-api.1.28',
      'ecs.capability.execution-role-ecr-pull', 'com.amazonaws.ecs.capability.docker-remote-api.1.18', 'ecs.capability.task-eni',
      'com.amazonaws.ecs.capability.docker-remote-api.1.29',
    ]));
    assert.deepEqual(r.taskDefinition?.compatibilities, ['EC2', 'FARGATE', 'MANAGED_INSTANCES']);
  });
});

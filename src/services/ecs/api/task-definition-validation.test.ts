import {
  ListTaskDefinitionFamiliesCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand,
  type ContainerDefinition, type RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';

const nginx = (over: Partial<ContainerDefinition> = {}): ContainerDefinition =>
  ({ name: 'nginx', image: 'nginx', memory: 50, cpu: 102, portMappings: [{ containerPort: 80, hostPort: 80 }], ...over });
const base = (over: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest =>
  ({ family: 'web', containerDefinitions: [nginx()], ...over });
const fargate = (over: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest => base({
  requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512',
  containerDefinitions: [{ name: 'app', image: 'nginx', portMappings: [{ containerPort: 80 }] }], ...over,
});

type Case = [title: string, input: RegisterTaskDefinitionRequest, error: string, message?: string | RegExp];

const cases: Case[] = [
  ['family with invalid characters', base({ family: 'bad name!' }), 'ClientException', /bad name!/],
  ['family longer than 255', base({ family: 'f'.repeat(256) }), 'ClientException'],
  ['no containers', base({ containerDefinitions: [] }), 'ClientException'],
  ['11 containers', base({ containerDefinitions: Array.from({ length: 11 }, (_, i) => nginx({ name: `c${i}`, portMappings: [] })) }),
    'ClientException', 'Too many containers.'],
  ['duplicate container names', base({ containerDefinitions: [nginx(), nginx({ portMappings: [] })] }), 'ClientException', /'nginx'/],
  ['container name with a dot', base({ containerDefinitions: [nginx({ name: 'bad.name' })] }), 'ClientException', /bad\.name/],
  ['missing image', base({ containerDefinitions: [nginx({ image: undefined })] }), 'ClientException', 'Container.image should not be null or empty.'],
  ['no memory at container or task level', base({ containerDefinitions: [nginx({ memory: undefined })] }), 'ClientException',
    "Invalid setting for container 'nginx'. At least one of 'memory' or 'memoryReservation' must be specified."],
  ['memoryReservation above memory', base({ containerDefinitions: [nginx({ memoryReservation: 64 })] }), 'ClientException', /memoryReservation/],
  ['container memory above task memory', base({ memory: '40' }), 'ClientException',
    "The 'memory' setting for container 'nginx' is greater than for the task."],
  ['task cpu that is not a number', base({ cpu: 'lots' }), 'ClientException', /'lots'/],
  ['Fargate with bridge networking', fargate({ networkMode: 'bridge' }), 'ClientException', 'Fargate only supports network mode ‘awsvpc’.'],
  ['Fargate without task cpu', fargate({ cpu: undefined }), 'ClientException', "Fargate requires that 'cpu' be defined at the task level."],
  ['Fargate with an invalid cpu/memory pair', fargate({ cpu: '256', memory: '4096' }), 'ClientException',
    'No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.'],
  ['Fargate 8 vCPU off the 4 GB step', fargate({ cpu: '8 vCPU', memory: '18 GB' }), 'ClientException', /8192 CPU, 18432 memory/],
  ['awsvpc hostPort different from containerPort', fargate({ containerDefinitions: [{ name: 'app', image: 'nginx', portMappings: [{ containerPort: 80, hostPort: 8080 }] }] }),
    'ClientException', 'When networkMode=awsvpc, the host ports and container ports in port mappings must match.'],
  ['host mode hostPort different from containerPort', base({ networkMode: 'host', containerDefinitions: [nginx({ portMappings: [{ containerPort: 80, hostPort: 81 }] })] }),
    'ClientException', 'When networkMode=host, the host ports and container ports in port mappings must match.'],
  ['containerPort 0', base({ containerDefinitions: [nginx({ portMappings: [{ containerPort: 0 }] })] }), 'ClientException',
    "Invalid 'containerPort' setting for container 'nginx'."],
  ['containerPort 70000', base({ containerDefinitions: [nginx({ portMappings: [{ containerPort: 70000 }] })] }), 'ClientException'],
  ['the same host port twice', base({ containerDefinitions: [nginx(), nginx({ name: 'other', portMappings: [{ containerPort: 8080, hostPort: 80 }] })] }),
    'ClientException', "TCP host port '80' is mapped multiple times in task."],
  ['dependsOn an unknown container', base({ containerDefinitions: [nginx({ dependsOn: [{ containerName: 'ghost', condition: 'START' }] })] }),
    'ClientException', /'ghost'/],
  ['dependsOn with an unknown condition', base({ containerDefinitions: [nginx({ dependsOn: [{ containerName: 'nginx', condition: 'READY' as never }] })] }),
    'InvalidParameterException'],
  ['dependsOn HEALTHY without a health check', base({ containerDefinitions: [nginx(), nginx({ name: 'b', portMappings: [], dependsOn: [{ containerName: 'nginx', condition: 'HEALTHY' }] })] }),
    'ClientException', /HEALTHY/],
  ['mountPoint on an undefined volume', base({ containerDefinitions: [nginx({ mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] })] }),
    'ClientException', /'data'/],
  ['51 tags', base({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }), 'InvalidParameterException'],
  ['a tag key with the aws: prefix', base({ tags: [{ key: 'aws:owner', value: 'x' }] }), 'InvalidParameterException'],
  ['hostname with awsvpc', fargate({ containerDefinitions: [{ name: 'app', image: 'nginx', hostname: 'h' }] }), 'ClientException',
    'hostname is not supported on container when networkMode=awsvpc.'],
  ['no essential container', base({ containerDefinitions: [nginx({ essential: false })] }), 'ClientException'],
  ['ephemeral storage of 10 GiB', fargate({ ephemeralStorage: { sizeInGiB: 10 } }), 'ClientException', /sizeInGiB 10/],
];

describe('ECS RegisterTaskDefinition validation', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await h.ecs.send(new RegisterTaskDefinitionCommand(base()));
  });
  after(async () => { await h.close(); });

  /** Everything a client can see of task definitions. */
  const snapshot = async () => ({
    active: (await h.ecs.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns,
    inactive: (await h.ecs.send(new ListTaskDefinitionsCommand({ status: 'INACTIVE' }))).taskDefinitionArns,
    families: (await h.ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families,
  });

  for (const [title, input, name, message] of cases) {
    it(`rejects ${title} (${name}) and changes nothing`, async () => {
      const before = await snapshot();
      assert.deepEqual(before.active, ['arn:aws:ecs:us-east-1:000000000000:task-definition/web:1']);
      await assert.rejects(h.ecs.send(new RegisterTaskDefinitionCommand(input)), message === undefined ? { name } : { name, message });
      assert.deepEqual(await snapshot(), before);
    });
  }

  it('consumed no revision numbers while rejecting', async () => {
    const r = await h.ecs.send(new RegisterTaskDefinitionCommand(base()));
    assert.equal(r.taskDefinition?.revision, 2);
  });

  it('accepts what ECS accepts: dynamic bridge ports, omitted awsvpc host ports, Fargate sizes as strings', async () => {
    const bridge = await h.ecs.send(new RegisterTaskDefinitionCommand(base({
      family: 'dyn',
      containerDefinitions: [nginx({ portMappings: [{ containerPort: 80 }, { containerPort: 81, hostPort: 0 }] }),
        nginx({ name: 'two', portMappings: [{ containerPort: 80 }, { containerPort: 53, hostPort: 53, protocol: 'udp' }, { containerPort: 54, hostPort: 53 }] })],
    })));
    assert.deepEqual(bridge.taskDefinition?.containerDefinitions?.[0].portMappings,
      [{ containerPort: 80, protocol: 'tcp' }, { containerPort: 81, hostPort: 0, protocol: 'tcp' }]);
    const f = await h.ecs.send(new RegisterTaskDefinitionCommand(fargate({ family: 'f', cpu: '1 vCPU', memory: '2 GB' })));
    const td = f.taskDefinition!;
    assert.equal(td.cpu, '1024');
    assert.equal(td.memory, '2048');
    assert.deepEqual(td.containerDefinitions?.[0].portMappings, [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(td.compatibilities, ['EC2', 'FARGATE', 'MANAGED_INSTANCES']);
    assert.deepEqual(new Set(td.requiresAttributes?.map((a) => a.name)),
      new Set(['com.amazonaws.ecs.capability.docker-remote-api.1.18', 'ecs.capability.task-eni']));
    for (const [cpu, memory] of [['256', '2048'], ['512', '4096'], ['4096', '30720'], ['8192', '20480'], ['16384', '122880'], ['0.25 vcpu', '0.5GB']]) {
      const ok = await h.ecs.send(new RegisterTaskDefinitionCommand(fargate({ family: 'sizes', cpu, memory })));
      assert.ok(ok.taskDefinition?.compatibilities?.includes('FARGATE'), `${cpu}/${memory}`);
    }
    // Task-level memory alone satisfies the memory rule; a Fargate-sized awsvpc definition is Fargate-compatible without asking.
    const taskMem = await h.ecs.send(new RegisterTaskDefinitionCommand(base({
      family: 'tm', networkMode: 'awsvpc', cpu: '512', memory: '1024', containerDefinitions: [{ name: 'a', image: 'nginx' }],
    })));
    assert.deepEqual(taskMem.taskDefinition?.compatibilities, ['EC2', 'FARGATE', 'MANAGED_INSTANCES']);
  });
});

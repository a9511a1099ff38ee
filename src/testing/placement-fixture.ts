// For placement tests: container instances registered through the real API with an identity
// document (so they carry ecs.availability-zone and ecs.instance-type, as on EC2), a request
// context for calling the launcher directly, and the stored task records (their `placement`).
import { RegisterContainerInstanceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { RequestContext } from '../services/context.js';
import type { Harness } from './harness.js';
import { ecsRecords, type TaskRecord } from '../services/ecs/model/common.js';

export interface InstanceSpec {
  az: string;
  type?: string;
  cpu?: number;
  memory?: number;
  /** Extra host ports already taken. */
  ports?: string[];
}

let serial = 0;

/** RegisterContainerInstance as an agent on EC2 does; the agent counts as connected until the
 *  clock passes the grace period. Returns the instance ARN. */
export async function registerInstance(ecs: ECSClient, cluster: string, spec: InstanceSpec): Promise<string> {
  serial++;
  const out = await ecs.send(new RegisterContainerInstanceCommand({
    cluster,
    instanceIdentityDocument: JSON.stringify({
      instanceId: `i-${serial.toString(16).padStart(17, '0')}`, availabilityZone: spec.az, instanceType: spec.type ?? 't2.large',
    }),
    totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: spec.cpu ?? 2048 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: spec.memory ?? 4096 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: spec.ports ?? [] },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    versionInfo: { agentVersion: '1.0.0-test' },
  }));
  return out.containerInstance!.containerInstanceArn!;
}

/** Registers named instances; returns name → ARN and ARN → name. */
export async function registerInstances(ecs: ECSClient, cluster: string, specs: Record<string, InstanceSpec>) {
  const arns: Record<string, string> = {};
  const names = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    arns[name] = await registerInstance(ecs, cluster, spec);
    names.set(arns[name], name);
  }
  return { arns, nameOf: (arn: string | undefined) => names.get(arn ?? '') ?? `?${arn}` };
}

/** A context in the harness's default scope, for calling the launcher as the scheduler does. */
export function contextOf(h: Harness): RequestContext {
  return {
    account: '000000000000', region: 'us-east-1', requestId: 'test', accessKeyId: 'test',
    principalArn: 'arn:aws:iam::000000000000:root', service: 'ecs', operation: 'Test', app: h.berth.app,
  };
}

/** The stored task record (with Berth's bookkeeping, e.g. `placement`). */
export async function storedTask(h: Harness, cluster: string, taskArn: string): Promise<TaskRecord | undefined> {
  return ecsRecords(h.berth.app.store).tasks.get(contextOf(h), `${cluster}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`);
}

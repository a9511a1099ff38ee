// Capacity provider rules shared by the capacity provider handlers: names and ARNs, the built-in
// Fargate providers, defaults and limits of an Auto Scaling group provider, strategy validation,
// and the cluster view PutClusterCapacityProviders returns.
import type {
  AutoScalingGroupProvider, CapacityProvider, CapacityProviderStrategyItem, Cluster, ManagedScaling,
} from '@aws-sdk/client-ecs';
import { parseArn } from '../../../common/arn.js';
import type { RequestContext } from '../../context.js';
import { clientException, ecsArn, invalidParameter } from './common.js';
import { clusterCounts } from './counts.js';

/** FARGATE and FARGATE_SPOT exist in every account and region; they are never stored. */
export const BUILT_IN = ['FARGATE', 'FARGATE_SPOT'] as const;
export const isBuiltIn = (name: string) => (BUILT_IN as readonly string[]).includes(name);

export const MAX_PER_CLUSTER = 20;
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const RESERVED_PREFIX = /^(aws|ecs|fargate)/i;

export const providerArn = (ctx: RequestContext, name: string) => ecsArn(ctx, `capacity-provider/${name}`);

/** A capacity provider given by short name or full ARN → its name. */
export function providerName(value: string): string {
  if (!value.startsWith('arn:')) return value;
  const m = /^capacity-provider\/(.+)$/.exec(parseArn(value)?.resource ?? '');
  if (!m) throw invalidParameter(`Invalid capacity provider ARN: ${value}`);
  return m[1];
}

export function checkName(name: string) {
  if (!NAME.test(name) || RESERVED_PREFIX.test(name)) {
    throw clientException(`The specified capacity provider name is invalid: '${name}'. Up to 255 characters are allowed, including letters `
      + '(upper and lowercase), numbers, underscores, and hyphens. The name cannot be prefixed with "aws", "ecs", or "fargate". '
      + 'Specify a valid name and try again.');
  }
}

export const builtInProvider = (ctx: RequestContext, name: string): CapacityProvider =>
  ({ capacityProviderArn: providerArn(ctx, name), name, status: 'ACTIVE', type: name as 'FARGATE' | 'FARGATE_SPOT', tags: [] });

const SCALING_DEFAULTS: Required<ManagedScaling> = {
  status: 'DISABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300,
};

/** Managed scaling with AWS's defaults for what was left out, checked against ECS's ranges. */
export function managedScaling(given: ManagedScaling | undefined, base: ManagedScaling = SCALING_DEFAULTS): ManagedScaling {
  const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) as ManagedScaling;
  const s = { ...SCALING_DEFAULTS, ...base, ...defined };
  const range = (field: keyof ManagedScaling, min: number, max: number) => {
    const v = s[field] as number;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw invalidParameter(`managedScaling.${field} must be an integer from ${min} to ${max}, but was ${v}.`);
    }
  };
  range('targetCapacity', 1, 100);
  range('minimumScalingStepSize', 1, 10000);
  range('maximumScalingStepSize', 1, 10000);
  range('instanceWarmupPeriod', 0, 10000);
  if (s.minimumScalingStepSize! > s.maximumScalingStepSize!) {
    throw invalidParameter(`managedScaling.minimumScalingStepSize (${s.minimumScalingStepSize}) cannot be greater than `
      + `maximumScalingStepSize (${s.maximumScalingStepSize}).`);
  }
  return s;
}

/** The Auto Scaling group provider as stored: the request with ECS's defaults filled in. */
export function asgProvider(given: AutoScalingGroupProvider): AutoScalingGroupProvider {
  const arn = given.autoScalingGroupArn ?? '';
  if (arn.startsWith('arn:') && !/^arn:aws[\w-]*:autoscaling:[\w-]+:\d{12}:autoScalingGroup:[\w-]+:autoScalingGroupName\/.+$/.test(arn)) {
    throw clientException(`The specified Auto Scaling group ARN is invalid: '${arn}'. Specify a valid Auto Scaling group ARN or name and try again.`);
  }
  if (!arn || arn.length > 1600) throw clientException('autoScalingGroupArn must be an Auto Scaling group ARN or name of 1 to 1600 characters.');
  const provider: AutoScalingGroupProvider = {
    autoScalingGroupArn: arn,
    managedScaling: managedScaling(given.managedScaling),
    managedTerminationProtection: given.managedTerminationProtection ?? 'DISABLED',
    managedDraining: given.managedDraining ?? 'ENABLED',
  };
  checkTerminationProtection(provider);
  return provider;
}

export function checkTerminationProtection(p: AutoScalingGroupProvider) {
  if (p.managedTerminationProtection === 'ENABLED' && p.managedScaling?.status !== 'ENABLED') {
    throw invalidParameter('The managed termination protection setting for the capacity provider is invalid. '
      + 'To enable managed termination protection for a capacity provider, managed scaling must also be enabled.');
  }
}

/** The Auto Scaling group a provider names, comparable whether given as ARN or name. */
export const asgName = (value: string | undefined) => (value ?? '').replace(/^arn:.*:autoScalingGroupName\//, '');

/** Checks a default capacity provider strategy against the providers associated with the cluster. */
export function checkStrategy(strategy: CapacityProviderStrategyItem[], associated: string[]) {
  if (strategy.length > MAX_PER_CLUSTER) {
    throw invalidParameter(`A capacity provider strategy can contain at most ${MAX_PER_CLUSTER} capacity providers, but has ${strategy.length}.`);
  }
  const seen = new Set<string>();
  let withBase = 0;
  for (const item of strategy) {
    const name = providerName(item.capacityProvider ?? '');
    if (seen.has(name)) throw invalidParameter(`The capacity provider strategy contains '${name}' more than once.`);
    seen.add(name);
    if (item.weight !== undefined && (!Number.isInteger(item.weight) || item.weight < 0 || item.weight > 1000)) {
      throw invalidParameter(`The weight of capacity provider '${name}' must be an integer from 0 to 1000, but was ${item.weight}.`);
    }
    if (item.base !== undefined && (!Number.isInteger(item.base) || item.base < 0 || item.base > 100000)) {
      throw invalidParameter(`The base of capacity provider '${name}' must be an integer from 0 to 100000, but was ${item.base}.`);
    }
    if ((item.base ?? 0) > 0) withBase++;
    if (!associated.includes(name)) {
      throw invalidParameter(`The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster: '${name}'. `
        + 'Associate the capacity provider with the cluster or specify a valid capacity provider and try again.');
    }
  }
  if (withBase > 1) throw invalidParameter('Only one capacity provider in a capacity provider strategy can have a base defined.');
  const fargate = [...seen].filter(isBuiltIn).length;
  if (fargate > 0 && fargate < seen.size) {
    throw invalidParameter('A capacity provider strategy cannot contain both Fargate and Auto Scaling group capacity providers.');
  }
}

/** The cluster as PutClusterCapacityProviders answers it: live counts, settings, tags and configuration. */
export async function renderCluster(ctx: RequestContext, cluster: Cluster): Promise<Cluster> {
  const counts = await clusterCounts(ctx, cluster.clusterName!);
  return {
    ...cluster,
    registeredContainerInstancesCount: counts.registeredContainerInstancesCount,
    runningTasksCount: counts.runningTasksCount,
    pendingTasksCount: counts.pendingTasksCount,
    activeServicesCount: counts.activeServicesCount,
    statistics: [],
  };
}

/** A provider as Describe shows it: tags only when asked for. */
export function renderProvider(p: CapacityProvider, withTags: boolean): CapacityProvider {
  const { tags, ...rest } = p;
  return withTags ? { ...rest, tags: tags ?? [] } : rest;
}

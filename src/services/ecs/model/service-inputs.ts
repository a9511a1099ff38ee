// Checks of CreateService/UpdateService inputs in ECS's words, and which UpdateService changes
// start a new deployment (AWS documents it per parameter: "This parameter triggers a new service
// deployment." / "doesn't trigger").
import type {
  CreateServiceRequest, DeploymentConfiguration, PlacementConstraint, PlacementStrategy, UpdateServiceRequest,
} from '@aws-sdk/client-ecs';
import { compilePlacement } from '../../../placement/index.js';
import { invalidParameter } from './common.js';
import { SERVICE_NAME, type SchedulingStrategy, type ServiceRecord } from './service-model.js';
import type { TaskDefinitionRecord } from './task-definition-lookup.js';

/** ECS's quota of tasks per service. */
export const MAX_TASKS_PER_SERVICE = 5000;

export function checkServiceName(name: string | undefined): string {
  if (!name || !SERVICE_NAME.test(name)) {
    throw invalidParameter(`Invalid service name '${name ?? ''}': up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens are allowed.`);
  }
  return name;
}

export function checkDesiredCount(count: number | undefined) {
  if (count === undefined) return;
  if (!Number.isInteger(count) || count < 0 || count > MAX_TASKS_PER_SERVICE) {
    throw invalidParameter(`desiredCount must be between 0 and ${MAX_TASKS_PER_SERVICE}, but was ${count}.`);
  }
}

export function checkClientToken(token: string | undefined) {
  if (token !== undefined && !/^[\x21-\x7e]{1,36}$/.test(token)) {
    throw invalidParameter('Invalid clientToken: up to 36 ASCII characters in the range 33-126 are allowed.');
  }
}

export function checkGracePeriod(seconds: number | undefined) {
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0 || seconds > 2_147_483_647)) {
    throw invalidParameter(`healthCheckGracePeriodSeconds must be between 0 and 2147483647, but was ${seconds}.`);
  }
}

/** minimumHealthyPercent 0–100, maximumPercent at least 100, breaker threshold values positive,
 *  the rolling strategy only. */
export function checkDeploymentConfiguration(config: DeploymentConfiguration | undefined) {
  if (!config) return;
  const { minimumHealthyPercent: min, maximumPercent: max } = config;
  if (min !== undefined && (!Number.isInteger(min) || min < 0 || min > 100)) {
    throw invalidParameter(`minimumHealthyPercent must be between 0 and 100, but was ${min}.`);
  }
  if (max !== undefined && (!Number.isInteger(max) || max < 100)) {
    throw invalidParameter(`maximumPercent must be at least 100, but was ${max}.`);
  }
  const t = config.deploymentCircuitBreaker?.thresholdConfiguration;
  if (t && (t.value === undefined || !Number.isInteger(t.value) || t.value < 1)) {
    throw invalidParameter(`deploymentCircuitBreaker.thresholdConfiguration.value must be a positive integer, but was ${t.value}.`);
  }
  if (config.strategy && config.strategy !== 'ROLLING') {
    throw invalidParameter(`Deployment strategy ${config.strategy} is not supported by this Berth server; use ROLLING (the rolling update).`);
  }
}

/** Placement, checked by the placement engine (at most 10 constraints with the definition's, 5
 *  strategies, known types and fields, valid memberOf expressions); DAEMON services take no
 *  strategies. */
export function checkServicePlacement(def: TaskDefinitionRecord, strategy: SchedulingStrategy,
  constraints: PlacementConstraint[] | undefined, strategies: PlacementStrategy[] | undefined) {
  compilePlacement({ constraints, definitionConstraints: def.placementConstraints, strategies });
  if (strategy === 'DAEMON' && strategies?.length) {
    throw invalidParameter('Placement strategies are not supported with the DAEMON scheduling strategy.');
  }
}

/** DAEMON services: no desired count to give, EC2/EXTERNAL only (like ECS: not Fargate). */
export function checkScheduling(input: Pick<CreateServiceRequest, 'schedulingStrategy' | 'desiredCount' | 'deploymentController'>): SchedulingStrategy {
  const strategy = (input.schedulingStrategy ?? 'REPLICA') as SchedulingStrategy;
  if (input.deploymentController && input.deploymentController.type !== 'ECS') {
    throw invalidParameter(`Deployment controller ${input.deploymentController.type} is not supported by this Berth server; use ECS (rolling update).`);
  }
  if (strategy === 'REPLICA' && input.desiredCount === undefined) {
    throw invalidParameter('desiredCount is required for a service with the REPLICA scheduling strategy.');
  }
  if (strategy === 'DAEMON' && input.desiredCount !== undefined) {
    throw invalidParameter('The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again');
  }
  return strategy;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** True if the update starts a new deployment: forceNewDeployment, or a changed task definition,
 *  network configuration, platform version, load balancers, service registries, Service Connect,
 *  volume or VPC Lattice configuration. desiredCount, deploymentConfiguration, placement, tags
 *  options, capacity provider strategy and the grace period do not (AWS's UpdateService reference). */
export function startsDeployment(input: UpdateServiceRequest, current: ServiceRecord, taskDefinitionArn: string | undefined): boolean {
  if (input.forceNewDeployment) return true;
  if (taskDefinitionArn !== undefined && taskDefinitionArn !== current.taskDefinition) return true;
  if (input.networkConfiguration !== undefined && !same(input.networkConfiguration, current.networkConfiguration)) return true;
  if (input.platformVersion !== undefined && input.platformVersion !== current.platformVersion) return true;
  if (input.loadBalancers !== undefined && !same(input.loadBalancers, current.loadBalancers)) return true;
  if (input.serviceRegistries !== undefined && !same(input.serviceRegistries, current.serviceRegistries)) return true;
  return input.serviceConnectConfiguration !== undefined || input.volumeConfigurations !== undefined
    || input.vpcLatticeConfigurations !== undefined;
}

/** deploymentConfiguration given to UpdateService: members given replace the current ones. */
export function mergeDeploymentConfiguration(current: DeploymentConfiguration, update: DeploymentConfiguration | undefined): DeploymentConfiguration {
  if (!update) return current;
  const defined = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
  return { ...current, ...defined };
}

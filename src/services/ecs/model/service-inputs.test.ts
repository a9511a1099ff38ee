// Which UpdateService parameters start a new deployment, one row per parameter, as the UpdateService
// API reference says of each ("This parameter triggers a new service deployment." / "doesn't
// trigger a new service deployment."). The API test (services.test.ts) checks a few of them end to
// end; this table holds every documented one.
import type { UpdateServiceRequest } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { service } from '../../../testing/service-fixture.js';
import { startsDeployment } from './service-inputs.js';

const current = service({ extra: {
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } }, platformVersion: 'LATEST',
  loadBalancers: [{ targetGroupArn: 'tg-1', containerName: 'app', containerPort: 80 }], serviceRegistries: [{ registryArn: 'sr-1' }],
} });

/** [parameter, value for the update, starts a deployment]. */
const TABLE: [keyof UpdateServiceRequest, unknown, boolean][] = [
  ['desiredCount', 5, false],
  ['capacityProviderStrategy', [{ capacityProvider: 'cp', weight: 1 }], false],
  ['deploymentConfiguration', { minimumHealthyPercent: 50 }, false],
  ['availabilityZoneRebalancing', 'ENABLED', false],
  ['placementConstraints', [{ type: 'distinctInstance' }], false],
  ['placementStrategy', [{ type: 'binpack', field: 'memory' }], false],
  ['healthCheckGracePeriodSeconds', 60, false],
  ['enableExecuteCommand', true, false],
  ['enableECSManagedTags', true, false],
  ['propagateTags', 'SERVICE', false],
  ['forceNewDeployment', false, false],
  ['forceNewDeployment', true, true],
  ['networkConfiguration', { awsvpcConfiguration: { subnets: ['subnet-2'] } }, true],
  ['platformVersion', '1.4.0', true],
  ['loadBalancers', [{ targetGroupArn: 'tg-2', containerName: 'app', containerPort: 80 }], true],
  ['serviceRegistries', [{ registryArn: 'sr-2' }], true],
  ['serviceConnectConfiguration', { enabled: true }, true],
  ['volumeConfigurations', [{ name: 'data' }], true],
  ['vpcLatticeConfigurations', [{ roleArn: 'r', targetGroupArn: 'tg', portName: 'p' }], true],
];

describe('UpdateService: which changes start a new deployment', () => {
  for (const [parameter, value, starts] of TABLE) {
    it(`${parameter} = ${JSON.stringify(value)} ${starts ? 'starts' : 'does not start'} a deployment`, () => {
      assert.equal(startsDeployment({ service: 'web', [parameter]: value }, current, undefined), starts);
    });
  }

  it('a task definition starts one only when it differs from the current one', () => {
    assert.equal(startsDeployment({ service: 'web', taskDefinition: 'web:2' }, current, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2'), true);
    assert.equal(startsDeployment({ service: 'web', taskDefinition: 'web:1' }, current, current.taskDefinition), false);
  });

  it('re-sending the current network configuration, platform version, load balancers or registries starts none', () => {
    const same: Partial<UpdateServiceRequest> = {
      networkConfiguration: current.networkConfiguration, platformVersion: current.platformVersion,
      loadBalancers: current.loadBalancers, serviceRegistries: current.serviceRegistries,
    };
    assert.equal(startsDeployment({ service: 'web', ...same }, current, undefined), false);
  });
});

// CreateService's checks of `loadBalancers` (ECS's side of the ELBv2 integration): each names a
// container and port of the task definition, and a target group that exists, is attached to a load
// balancer, and whose target type fits the network mode (awsvpc → ip; bridge/host → instance).
// The target group is read through the internal client as ECS (its service-linked role) would:
// the account root, whatever ELB permissions the caller has.
import type { LoadBalancer, TaskDefinition } from '@aws-sdk/client-ecs';
import type { DescribeTargetGroupsOutput } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../../common/errors.js';
import { accountRoot, type RequestContext } from '../../context.js';
import { invalidParameter } from './common.js';

export async function checkLoadBalancers(ctx: RequestContext, loadBalancers: LoadBalancer[] | undefined, def: TaskDefinition) {
  for (const lb of loadBalancers ?? []) {
    if (!lb.targetGroupArn) {
      throw invalidParameter(lb.loadBalancerName ? 'Classic Load Balancers are not supported by Berth: use a target group (targetGroupArn).'
        : 'targetGroupArn is required for a load balancer.');
    }
    const container = def.containerDefinitions?.find((c) => c.name === lb.containerName);
    if (!lb.containerName || !container) throw invalidParameter(`The container ${lb.containerName ?? ''} does not exist in the task definition.`);
    if (!container.portMappings?.some((p) => p.containerPort === lb.containerPort)) {
      throw invalidParameter(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
    }
    let found: DescribeTargetGroupsOutput;
    try {
      found = await ctx.app.call<DescribeTargetGroupsOutput>('elasticloadbalancing', 'DescribeTargetGroups', { TargetGroupArns: [lb.targetGroupArn] }, accountRoot(ctx));
    } catch (err) {
      if (err instanceof AwsError) throw invalidParameter(`Unable to validate the target group ${lb.targetGroupArn}: ${err.message}`);
      throw err;
    }
    const tg = found.TargetGroups?.[0];
    if (!tg?.LoadBalancerArns?.length) throw invalidParameter(`The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`);
    const mode = def.networkMode ?? 'bridge';
    if ((mode === 'awsvpc') !== (tg.TargetType === 'ip')) {
      throw invalidParameter(`The provided target group ${lb.targetGroupArn} has target type ${tg.TargetType}, which is incompatible with the ${mode} network mode specified in the task definition.`);
    }
  }
}

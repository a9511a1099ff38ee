// ELBv2's operations, typed against @aws-sdk/client-elastic-load-balancing-v2 (each handler's input
// and output are the SDK's). One file per resource under api/.
import type * as Elb from '@aws-sdk/client-elastic-load-balancing-v2';
import { handlersOf, type Provider } from '../types.js';
import * as listeners from './api/listeners.js';
import * as lbs from './api/load-balancers.js';
import * as rules from './api/rules.js';
import * as tags from './api/tags.js';
import * as tgs from './api/target-groups.js';
import * as targets from './api/targets.js';

export const provider = {
  createLoadBalancer: lbs.createLoadBalancer,
  describeLoadBalancers: lbs.describeLoadBalancers,
  deleteLoadBalancer: lbs.deleteLoadBalancer,
  describeLoadBalancerAttributes: lbs.describeLoadBalancerAttributes,
  modifyLoadBalancerAttributes: lbs.modifyLoadBalancerAttributes,
  setSecurityGroups: lbs.setSecurityGroups,
  setSubnets: lbs.setSubnets,
  createTargetGroup: tgs.createTargetGroup,
  describeTargetGroups: tgs.describeTargetGroups,
  modifyTargetGroup: tgs.modifyTargetGroup,
  deleteTargetGroup: tgs.deleteTargetGroup,
  describeTargetGroupAttributes: tgs.describeTargetGroupAttributes,
  modifyTargetGroupAttributes: tgs.modifyTargetGroupAttributes,
  createListener: listeners.createListener,
  describeListeners: listeners.describeListeners,
  modifyListener: listeners.modifyListener,
  deleteListener: listeners.deleteListener,
  createRule: rules.createRule,
  describeRules: rules.describeRules,
  modifyRule: rules.modifyRule,
  deleteRule: rules.deleteRule,
  setRulePriorities: rules.setRulePriorities,
  registerTargets: targets.registerTargets,
  deregisterTargets: targets.deregisterTargets,
  describeTargetHealth: targets.describeTargetHealth,
  addTags: tags.addTags,
  removeTags: tags.removeTags,
  describeTags: tags.describeTags,
} satisfies Provider<typeof Elb>;

export const handlers = handlersOf<typeof Elb>(provider);

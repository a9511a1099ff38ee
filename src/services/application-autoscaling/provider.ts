// Application Auto Scaling operations → handlers.
import type * as Aas from '@aws-sdk/client-application-auto-scaling';
import { handlersOf, type Provider } from '../types.js';
import { deleteScalingPolicy, describeScalingPolicies, putScalingPolicy } from './policies.js';
import { deleteScheduledAction, describeScheduledActions, putScheduledAction } from './scheduled.js';
import { deregisterScalableTarget, describeScalableTargets, describeScalingActivities, registerScalableTarget } from './targets.js';

export const provider = {
  registerScalableTarget, deregisterScalableTarget, describeScalableTargets, describeScalingActivities,
  putScalingPolicy, deleteScalingPolicy, describeScalingPolicies,
  putScheduledAction, deleteScheduledAction, describeScheduledActions,
} satisfies Provider<typeof Aas>;
export const handlers = handlersOf<typeof Aas>(provider);

// Application Auto Scaling: awsJson1_1, target prefix AnyScaleFrontendService, signing name
// application-autoscaling. Scales ECS services' desired count (ecs:service:DesiredCount) through
// the internal client; runs the scaler.
import { createRequire } from 'node:module';
import { defineService } from '../types.js';
import { aasConfigSection, type AasConfig } from './config.js';
import { Scaler } from './scaler.js';

const require = createRequire(import.meta.url);
let sdk: Record<string, unknown> | undefined;
let constraints: Record<string, string[]> | undefined;

export const applicationAutoScalingService = defineService<'application-autoscaling', AasConfig, Scaler>({
  name: 'application-autoscaling',
  signingNames: ['application-autoscaling'],
  protocol: 'awsJson1_1',
  targetPrefix: 'AnyScaleFrontendService',
  validationErrorCode: 'ValidationException',
  sdk: () => (sdk ??= require('@aws-sdk/client-application-auto-scaling') as Record<string, unknown>),
  constraints: () => (constraints ??= require('./constraints.json') as Record<string, string[]>),
  handlers: async () => (await import('./provider.js')).handlers,
  config: aasConfigSection,
  start: ({ app, config }) => Scaler.start(app, config),
});

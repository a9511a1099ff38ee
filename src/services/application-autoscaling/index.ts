// Application Auto Scaling: awsJson1_1, target prefix AnyScaleFrontendService, signing name
// application-autoscaling. Scales ECS services' desired count (ecs:service:DesiredCount) through
// the internal client; runs the scaler.
import { defineService, lazyModule } from '../types.js';
import { aasConfigSection, type AasConfig } from './config.js';
import { Scaler } from './scaler.js';


export const applicationAutoScalingService = defineService<'application-autoscaling', AasConfig, Scaler>({
  name: 'application-autoscaling',
  signingNames: ['application-autoscaling'],
  protocol: 'awsJson1_1',
  targetPrefix: 'AnyScaleFrontendService',
  validationErrorCode: 'ValidationException',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-application-auto-scaling'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json'),
  handlers: async () => (await import('./provider.js')).handlers,
  config: aasConfigSection,
  start: ({ app, config }) => Scaler.start(app, config),
});

// CloudWatch Logs: awsJson1_1, target prefix Logs_20140328. Log groups, streams and events in the
// store; the retention worker deletes events older than a group's retention.
import { defineService, lazyModule } from '../types.js';
import { logsConfigSection, type LogsConfig } from './config.js';
import { RetentionSweeper } from './retention.js';


export const logsService = defineService<'logs', LogsConfig, RetentionSweeper>({
  name: 'logs',
  signingNames: ['logs'],
  protocol: 'awsJson1_1',
  targetPrefix: 'Logs_20140328',
  validationErrorCode: 'InvalidParameterException',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-cloudwatch-logs'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json'),
  handlers: async () => (await import('./provider.js')).handlers,
  config: logsConfigSection,
  start: ({ app, config }) => RetentionSweeper.start(app, config),
});

// CloudWatch Logs: awsJson1_1, target prefix Logs_20140328. Log groups, streams and events in the
// store; the retention worker deletes events older than a group's retention.
import { createRequire } from 'node:module';
import { defineService } from '../types.js';
import { logsConfigSection, type LogsConfig } from './config.js';
import { RetentionSweeper } from './retention.js';

const require = createRequire(import.meta.url);
let sdk: Record<string, unknown> | undefined;
let constraints: Record<string, string[]> | undefined;

export const logsService = defineService<'logs', LogsConfig, RetentionSweeper>({
  name: 'logs',
  signingNames: ['logs'],
  protocol: 'awsJson1_1',
  targetPrefix: 'Logs_20140328',
  validationErrorCode: 'InvalidParameterException',
  sdk: () => (sdk ??= require('@aws-sdk/client-cloudwatch-logs') as Record<string, unknown>),
  constraints: () => (constraints ??= require('./constraints.json') as Record<string, string[]>),
  handlers: async () => (await import('./provider.js')).handlers,
  config: logsConfigSection,
  start: ({ app, config }) => RetentionSweeper.start(app, config),
});

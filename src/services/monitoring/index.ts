// CloudWatch (signing name `monitoring`). Clients of different generations speak different
// protocols to it: awsQuery (AWS CLI v2.9, older SDKs), awsJson1_0 with target prefix
// GraniteServiceVersion20100801 (the pinned @aws-sdk/client-cloudwatch) and Smithy RPC v2 CBOR
// (botocore ≥ 1.42, i.e. AWS CLI v1 here); the gateway answers each in its own. Runs the alarm
// evaluator and the retention controller (rollups of old metric data, alarm history expiry).
import { defineService, lazyModule, type Worker } from '../types.js';
import { monitoringConfigSection, type MonitoringConfig } from './config.js';
import { AlarmEvaluator } from './evaluator.js';
import { MetricRetention } from './retention.js';

/** What a running CloudWatch exposes (berth.services.monitoring). */
export interface MonitoringRunning extends Worker {
  evaluator: AlarmEvaluator;
  /** Undefined when config.retention is false. */
  retention?: MetricRetention;
}


export const monitoringService = defineService<'monitoring', MonitoringConfig, MonitoringRunning>({
  name: 'monitoring',
  signingNames: ['monitoring'],
  protocol: 'awsQuery',
  alsoAccepts: ['smithyRpcV2Cbor', 'awsJson1_0'],
  targetPrefix: 'GraniteServiceVersion20100801',
  apiVersion: '2010-08-01',
  xmlNamespace: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
  errorNamespace: 'com.amazonaws.cloudwatch',
  awsQueryCompatible: true,
  validationErrorCode: 'InvalidParameterValue',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-cloudwatch'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json'),
  handlers: async () => (await import('./provider.js')).handlers,
  config: monitoringConfigSection,
  start: ({ app, config }) => {
    const evaluator = AlarmEvaluator.start(app, config);
    const retention = config.retention === false ? undefined : MetricRetention.start(app, config.retention);
    return {
      evaluator, retention,
      stats: () => ({ ...evaluator.stats(), ...(retention ? {
        metricDatapointsRolledUp: retention.totals.rolledUp, metricDatapointsExpired: retention.totals.deleted,
        alarmHistoryExpired: retention.totals.historyDeleted,
      } : {}) }),
      async stop() {
        await retention?.stop();
        await evaluator.stop();
      },
    };
  },
});

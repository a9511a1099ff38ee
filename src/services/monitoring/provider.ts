// CloudWatch (monitoring) operations → handlers.
import type * as CloudWatch from '@aws-sdk/client-cloudwatch';
import { handlersOf, type Provider } from '../types.js';
import {
  deleteAlarms, describeAlarmHistory, describeAlarms, describeAlarmsForMetric, disableAlarmActions, enableAlarmActions, putMetricAlarm, setAlarmState,
} from './alarms.js';
import { getMetricData } from './metric-data.js';
import { getMetricStatistics, listMetrics, putMetricData } from './metrics.js';

export const provider = {
  putMetricData, listMetrics, getMetricStatistics, getMetricData,
  putMetricAlarm, describeAlarms, describeAlarmsForMetric, deleteAlarms, setAlarmState, enableAlarmActions, disableAlarmActions, describeAlarmHistory,
} satisfies Provider<typeof CloudWatch>;
export const handlers = handlersOf<typeof CloudWatch>(provider);

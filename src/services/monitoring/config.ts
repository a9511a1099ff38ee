// CloudWatch's section of the server config. The time scale makes metric periods and alarm
// evaluation run faster than AWS's wall-clock minutes, for tests and demos: with --time-scale 60
// a 60-second alarm period lasts one real second (datapoints are grouped into 1 s buckets for
// alarms) and alarms are evaluated every (10 s / 60). The default, 1, is AWS's timing.
import { parseTimeScale } from '../../common/duration.js';
import type { AppContext } from '../context.js';
import type { ServiceConfigSection } from '../types.js';
import type { RetentionOptions } from './retention.js';

export interface MonitoringConfig {
  /** How much faster than real time alarm periods run (1 = AWS's timing). */
  timeScale: number;
  /** Seconds (scaled) between evaluator ticks; each alarm is evaluated once per completed period. */
  evaluationTickSeconds: number;
  /** Run the alarm evaluator (tests may drive it by hand). */
  alarmEvaluation: boolean;
  /** Metric data and alarm history retention (retention.ts; AWS's periods by default), or false to
   *  keep everything and answer queries at any period however old. */
  retention: RetentionOptions | false;
}


const defaults = (): MonitoringConfig => ({ timeScale: 1, evaluationTickSeconds: 10, alarmEvaluation: true, retention: {} });

/** CloudWatch's config section of a running server (defaults when it was given none). */
export const monitoringConfig = (app: AppContext): MonitoringConfig => (app.serviceConfig.monitoring as MonitoringConfig | undefined) ?? defaults();

export const monitoringConfigSection: ServiceConfigSection<MonitoringConfig> = {
  defaults: () => defaults(),
  flags: [
    { name: 'time-scale', env: 'BERTH_TIME_SCALE', help: '--time-scale 1                   run alarm periods and evaluation\n'
      + '                                     this many times faster than AWS (60: a 60 s period lasts 1 s)',
      apply: (c, raw) => { c.timeScale = parseTimeScale(raw); } },
  ],
};

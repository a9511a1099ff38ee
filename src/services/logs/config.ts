// CloudWatch Logs' section of the server config.
import type { ServiceConfigSection } from '../types.js';
import { parseDurationSeconds } from '../../common/duration.js';

export interface LogsConfig {
  /** Seconds between retention sweeps (events older than a group's retention are deleted; 0 = never). */
  retentionSweepSeconds: number;
}

export const logsConfigSection: ServiceConfigSection<LogsConfig> = {
  defaults: () => ({ retentionSweepSeconds: 600 }),
  flags: [
    { name: 'logs-retention-sweep', env: 'BERTH_LOGS_RETENTION_SWEEP', help: '--logs-retention-sweep 10m       how often expired log events are deleted (0 = never)',
      apply: (c, raw) => { c.retentionSweepSeconds = parseDurationSeconds(raw, 'logs-retention-sweep'); } },
  ],
};

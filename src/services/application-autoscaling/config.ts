// Application Auto Scaling's section of the server config. It shares --time-scale with CloudWatch
// (both read the same flag): cooldowns, rate() schedules and the scaler's tick run that many times
// faster than AWS (at() and cron() schedules stay on the wall clock).
import type { ServiceConfigSection } from '../types.js';
import { parseTimeScale } from '../../common/duration.js';

export interface AasConfig {
  timeScale: number;
  /** Seconds (scaled) between scaler passes. */
  tickSeconds: number;
  /** Run the scaler (tests may drive it by hand). */
  scaler: boolean;
}

export const aasConfigSection: ServiceConfigSection<AasConfig> = {
  defaults: () => ({ timeScale: 1, tickSeconds: 10, scaler: true }),
  flags: [
    { name: 'time-scale', env: 'BERTH_TIME_SCALE', help: '                                 also Application Auto Scaling cooldowns and rate() schedules',
      apply: (c, raw) => { c.timeScale = parseTimeScale(raw); } },
  ],
};

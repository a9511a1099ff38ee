// ECS's section of the server config: what `berth server` flags and startBerth({ config: { ecs } })
// set, with AWS-like defaults. Handlers and workers read it with ecsConfig(app).
import type { AppContext } from '../context.js';
import type { ServiceConfigSection } from '../types.js';
import type { AcsTimings } from './acs/acs-session.js';
import type { SchedulerOptions } from './controllers/service-scheduler.js';
import type { TaskRetentionOptions } from './controllers/task-retention.js';

export interface EcsConfig {
  /** Seconds an agent may be silent before its instance shows agentConnected: false. */
  agentGraceSeconds: number;
  /** Seconds an agent may be silent before its service tasks are replaced elsewhere (lost-agent
   *  policy, controllers/service-lost.ts; 0 = never). */
  lostAfterSeconds: number;
  /** A self-fencing agent's tasks are superseded only after lostAfterSeconds plus this margin (the
   *  agent has stopped them by then; controllers/service-lost.ts). */
  fenceMarginSeconds: number;
  /** Seconds a STOPPED task stays describable before its record is deleted (0 = forever). */
  stoppedTaskRetentionSeconds: number;
  /** ACS websocket timings (heartbeat interval derived from the grace period unless set). */
  acs: Partial<AcsTimings>;
  /** The service scheduler's tuning, or false to not run it. */
  scheduler: SchedulerOptions | false;
  /** The STOPPED task retention controller's tuning, or false to not run it. */
  taskRetention: TaskRetentionOptions | false;
}

const defaults = (): EcsConfig => ({
  agentGraceSeconds: 30, lostAfterSeconds: 300, fenceMarginSeconds: 5, stoppedTaskRetentionSeconds: 3600, acs: {}, scheduler: {}, taskRetention: {},
});

/** A duration as the CLI takes it (`--lost-after 5m`): a number of seconds, or with a unit s, m, h. */
export function parseDurationSeconds(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(text);
  if (!m) throw new Error(`invalid duration '${text}': use seconds (300) or a unit (30s, 5m, 1h)`);
  return Math.round(Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h']));
}

const duration = (flag: string, raw: string) => {
  try { return parseDurationSeconds(raw); } catch (err) { throw new Error(`--${flag}: ${(err as Error).message}`); }
};

export const ecsConfigSection: ServiceConfigSection<EcsConfig> = {
  defaults,
  flags: [
    { name: 'agent-grace', env: 'BERTH_AGENT_GRACE', help: '--agent-grace 30                 seconds before a silent agent shows disconnected',
      apply: (c, raw) => { c.agentGraceSeconds = duration('agent-grace', raw); } },
    { name: 'lost-after', env: 'BERTH_LOST_AFTER', help: '--lost-after 5m                  silence after which an agent\'s service tasks are replaced\n'
      + '                                   elsewhere (30s, 5m, 1h; 0 = never)',
      apply: (c, raw) => { c.lostAfterSeconds = duration('lost-after', raw); } },
    { name: 'fence-margin', env: 'BERTH_FENCE_MARGIN', help: '--fence-margin 5s                 a self-fencing agent\'s tasks are replaced only after\n'
      + '                                   lost-after + this (the agent stopped them at lost-after)',
      apply: (c, raw) => { c.fenceMarginSeconds = duration('fence-margin', raw); } },
    { name: 'stopped-task-retention', env: 'BERTH_STOPPED_TASK_RETENTION', help: '--stopped-task-retention 1h      how long STOPPED tasks stay describable (0 = forever)',
      apply: (c, raw) => { c.stoppedTaskRetentionSeconds = duration('stopped-task-retention', raw); } },
  ],
};

/** ECS's config section of a running server (defaults when the server was given none). */
export const ecsConfig = (app: AppContext): EcsConfig => (app.serviceConfig.ecs as EcsConfig | undefined) ?? defaults();

// ECS: awsJson1_1, target prefix AmazonEC2ContainerServiceV20141113. Besides its API it runs the
// agents' websockets (ACS, and TCS for telemetry), the explain-placement endpoint, the service scheduler and the STOPPED
// task retention controller.
import { defineService, lazyModule, type Worker } from '../types.js';
import { startAcsServer, type AcsServer } from './acs/acs-server.js';
import { ecsConfigSection, type EcsConfig } from './config.js';
import { ServiceScheduler } from './controllers/service-scheduler.js';
import { TaskRetention } from './controllers/task-retention.js';
import { registerExplainPlacement } from './launch/placement-explain-route.js';
import { ensureIndexes } from './model/index-rebuild.js';
import { closePlacementViews } from './launch/placement-cache.js';
import { EXTRA_SETTING_NAMES } from './model/account-settings-values.js';
import { startTcsServer, type TcsServer } from './telemetry/tcs-server.js';


/** What a running ECS service exposes (berth.services.ecs). */
export interface EcsRunning extends Worker {
  /** The agents' websocket endpoint (ACS). */
  acs: AcsServer;
  /** The agents' telemetry websocket endpoint (TCS). */
  tcs: TcsServer;
  /** The service scheduler (undefined when config.scheduler is false). */
  scheduler?: ServiceScheduler;
  /** The STOPPED task retention controller (undefined when config.taskRetention is false). */
  taskRetention?: TaskRetention;
}

/** Where ECS's documented behaviour is narrower or wider than its model's enums: the status a
 *  container instance can be set to is ACTIVE or DRAINING only; dualStackIPv6 is a setting name. */
function withOverrides(generated: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = { ...generated, 'UpdateContainerInstancesStateRequest.status': ['ACTIVE', 'DRAINING'] };
  for (const key of ['DeleteAccountSettingRequest.name', 'ListAccountSettingsRequest.name', 'PutAccountSettingDefaultRequest.name',
    'PutAccountSettingRequest.name', 'Setting.name']) out[key] = [...(out[key] ?? []), ...EXTRA_SETTING_NAMES];
  return out;
}

export const ecsService = defineService<'ecs', EcsConfig, EcsRunning>({
  name: 'ecs',
  signingNames: ['ecs'],
  protocol: 'awsJson1_1',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113',
  validationErrorCode: 'InvalidParameterException',
  // ECS's largest request is a task definition (64 KiB) with its tags: 1 MiB is ample.
  maxRequestBytes: 1024 * 1024,
  // Loaded on the first ECS request, not at start-up (≈54 ms).
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-ecs'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json', withOverrides),
  handlers: async () => (await import('./provider.js')).handlers,
  config: ecsConfigSection,
  async start(host) {
    const { app, config } = host;
    // Records stored before the indexes existed get them now (one key read when already done).
    await ensureIndexes(app.store);
    const acs = startAcsServer(app, host, config);
    const tcs = startTcsServer(app, host, { heartbeatMs: acs.timings.heartbeatMs, silentMs: acs.timings.silentMs });
    registerExplainPlacement(host);
    const scheduler = config.scheduler === false ? undefined
      : await ServiceScheduler.start(app, { lostAfterSeconds: config.lostAfterSeconds, ...config.scheduler });
    const taskRetention = config.taskRetention === false ? undefined
      : TaskRetention.start(app, { retentionSeconds: config.stoppedTaskRetentionSeconds, ...config.taskRetention });
    return {
      acs, tcs, scheduler, taskRetention,
      stats: () => ({
        agentSessions: acs.sessions.size, telemetrySessions: tcs.sessions.size,
        acsStopVerifications: acs.counters.stopVerifications, acsStopsConfirmed: acs.counters.stopsConfirmed, acsStopsRefused: acs.counters.stopsRefused,
        telemetryMetricsReports: tcs.received.get('PublishMetricsRequest') ?? 0,
        telemetryHealthReports: tcs.received.get('PublishHealthRequest') ?? 0,
        telemetryInstanceStatusReports: tcs.received.get('PublishInstanceStatusRequest') ?? 0,
      }),
      async stop() {
        await taskRetention?.stop();
        await scheduler?.stop();
        await tcs.close();
        await acs.close();
        closePlacementViews(app);
      },
    };
  },
});

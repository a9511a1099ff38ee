// Every service Berth answers on its one port, in start-up order (stopped in reverse). Adding a
// service is one folder under src/services/ and one entry here (docs/ADDING-A-SERVICE.md).
import { applicationAutoScalingService } from './application-autoscaling/index.js';
import { ecrService } from './ecr/index.js';
import { ecsService } from './ecs/index.js';
import { elbv2Service } from './elbv2/index.js';
import { iamService, stsService } from './iam/index.js';
import { logsService } from './logs/index.js';
import { monitoringService } from './monitoring/index.js';
import type { ConfigOf, RunningOf, ServiceDef } from './types.js';

export const services = [ecsService, iamService, ecrService, stsService, elbv2Service, logsService, monitoringService, applicationAutoScalingService] as const;

/** The registry as the server loops over it (names and types erased). */
export const serviceList: readonly ServiceDef[] = services as readonly ServiceDef[];

type Registered = (typeof services)[number];
/** Each service's config section, by name, as startBerth({ config }) takes it. */
export type ServiceConfigs = { [S in Registered as S['name']]?: Partial<ConfigOf<S>> };
/** Each started service's running handle, by name (berth.services.<name>). */
export type RunningServices = { [S in Registered as S['name']]: RunningOf<S> };

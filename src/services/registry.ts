// Every service Berth answers on its one port.
import { ecsService } from './ecs/index.js';
import { stsService } from './sts/index.js';
import type { ServiceDef } from './types.js';

export const services: readonly ServiceDef[] = [ecsService, stsService];

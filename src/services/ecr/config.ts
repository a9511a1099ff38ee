// ECR's section of the server config (`berth server --ecr-blob-dir …`, startBerth({ config: { ecr } })).
import type { ServiceConfigSection } from '../types.js';
import { parseSeconds } from './seconds.js';

export interface EcrConfig {
  /** Where blobs live; default <data dir>/ecr, or a temp dir when the store keeps no files (memory://, etcd://). */
  blobDir?: string;
  /** Seconds between garbage collections of unreferenced blobs (0 = never on a schedule). */
  gcIntervalSeconds: number;
  /** Blobs and uploads younger than this are never collected (a push in progress links its layers
   *  before its manifest references them). */
  gcGraceSeconds: number;
  /** Seconds between applications of the lifecycle policies (AWS: within 24 h; 0 = never on a schedule). */
  lifecycleIntervalSeconds: number;
}

export const ecrConfigSection: ServiceConfigSection<EcrConfig> = {
  defaults: () => ({ gcIntervalSeconds: 3600, gcGraceSeconds: 3600, lifecycleIntervalSeconds: 3600 }),
  flags: [
    { name: 'ecr-blob-dir', env: 'BERTH_ECR_BLOB_DIR', help: '--ecr-blob-dir DIR               where ECR image layers are stored (default <data dir>/ecr)',
      apply: (c, raw) => { c.blobDir = raw; } },
    { name: 'ecr-gc-interval', env: 'BERTH_ECR_GC_INTERVAL', help: '--ecr-gc-interval 1h             how often unreferenced ECR blobs are collected (0 = never)',
      apply: (c, raw) => { c.gcIntervalSeconds = parseSeconds('ecr-gc-interval', raw); } },
    { name: 'ecr-lifecycle-interval', env: 'BERTH_ECR_LIFECYCLE_INTERVAL', help: '--ecr-lifecycle-interval 1h      how often ECR lifecycle policies are applied (0 = never)',
      apply: (c, raw) => { c.lifecycleIntervalSeconds = parseSeconds('ecr-lifecycle-interval', raw); } },
  ],
};

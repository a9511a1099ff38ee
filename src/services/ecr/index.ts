// ECR: awsJson1_1, target prefix AmazonEC2ContainerRegistry_V20150921. Besides its API it serves
// the image registry (OCI Distribution v2) under /v2/ on the server's port, stores blobs in the
// data directory, and runs two workers: lifecycle policy application and blob garbage collection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineService, lazyModule, type Worker } from '../types.js';
import { BlobStore } from './blobs.js';
import { ecrConfigSection, type EcrConfig } from './config.js';
import { collectGarbage, Periodic, type GcResult } from './gc.js';
import { applyAllLifecycles } from './lifecycle.js';
import { registryHandler } from './registry/router.js';
import { attachRuntime, detachRuntime } from './runtime.js';
import { tokenSecret } from './tokens.js';


/** What a running ECR service exposes (berth.services.ecr). */
export interface EcrRunning extends Worker {
  blobs: BlobStore;
  /** Collects unreferenced blobs and abandoned uploads now. */
  collectGarbage(): Promise<GcResult>;
  /** Applies every lifecycle policy now; resolves how many images expired. */
  applyLifecyclePolicies(): Promise<number>;
}

export const ecrService = defineService<'ecr', EcrConfig, EcrRunning>({
  name: 'ecr',
  signingNames: ['ecr'],
  protocol: 'awsJson1_1',
  targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
  validationErrorCode: 'InvalidParameterException',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-ecr'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json'),
  handlers: async () => (await import('./provider.js')).handlers,
  config: ecrConfigSection,
  async start(host) {
    const { app, config } = host;
    // Blobs live beside the store's files; a store that keeps none (memory://, etcd://) gets a temp dir.
    const temp = config.blobDir || app.config.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'berth-ecr-'));
    const dir = config.blobDir ?? temp ?? join(app.config.dataDir!, 'ecr');
    const blobs = await BlobStore.open(dir, () => app.clock.now());
    attachRuntime(app, { blobs, secret: await tokenSecret(app.store), config });
    host.streamRoute('/v2/', registryHandler(app), { prefix: true });
    host.streamRoute('/v2', registryHandler(app));
    const gc = new Periodic('gc', () => collectGarbage(app, blobs, config.gcGraceSeconds), config.gcIntervalSeconds);
    const lifecycle = new Periodic('lifecycle', () => applyAllLifecycles(app), config.lifecycleIntervalSeconds);
    return {
      blobs,
      collectGarbage: () => gc.runOnce<GcResult>(),
      applyLifecyclePolicies: () => lifecycle.runOnce<number>(),
      async stop() {
        await lifecycle.stop();
        await gc.stop();
        detachRuntime(app);
        if (temp) rmSync(temp, { recursive: true, force: true });
      },
    };
  },
});

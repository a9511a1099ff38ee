// Elastic Load Balancing v2 (ALB, NLB): awsQuery, IAM prefix and signing name
// `elasticloadbalancing`. Besides its API it runs the data plane: every listener on its load
// balancer's own loopback address, the health checks, and the CloudWatch metrics.
import { defineService, lazyModule, type Worker } from '../types.js';
import { elbConfigSection, type ElbConfig } from './config.js';
import { DataPlane } from './data/plane.js';


/** What a running ELBv2 service exposes (berth.services.elasticloadbalancing). */
export interface ElbRunning extends Worker {
  /** The listeners, health checker and metrics (undefined when config.dataPlane is false). */
  dataPlane?: DataPlane;
}

export const elbv2Service = defineService<'elasticloadbalancing', ElbConfig, ElbRunning>({
  name: 'elasticloadbalancing',
  signingNames: ['elasticloadbalancing'],
  protocol: 'awsQuery',
  apiVersion: '2015-12-01',
  xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  validationErrorCode: 'ValidationError',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-elastic-load-balancing-v2'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json'),
  handlers: async () => (await import('./provider.js')).handlers,
  config: elbConfigSection,
  async start({ app, config }) {
    const dataPlane = config.dataPlane ? new DataPlane(app, config) : undefined;
    await dataPlane?.start();
    return {
      dataPlane,
      stats: () => ({ elbListeners: dataPlane?.view.listeners.size ?? 0 }),
      async stop() { await dataPlane?.stop(); },
    };
  },
});

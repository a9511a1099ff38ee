// ECS: awsJson1_1, target prefix AmazonEC2ContainerServiceV20141113.
import { createRequire } from 'node:module';
import type { ServiceDef } from '../types.js';

const require = createRequire(import.meta.url);
let sdk: Record<string, unknown> | undefined;
let constraints: Record<string, string[]> | undefined;

export const ecsService: ServiceDef = {
  name: 'ecs',
  signingNames: ['ecs'],
  protocol: 'awsJson1_1',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113',
  validationErrorCode: 'InvalidParameterException',
  // Loaded on the first ECS request, not at start-up (≈54 ms).
  sdk: () => (sdk ??= require('@aws-sdk/client-ecs') as Record<string, unknown>),
  constraints: () => (constraints ??= require('./constraints.json') as Record<string, string[]>),
  handlers: async () => (await import('./provider.js')).handlers,
};

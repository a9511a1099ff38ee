// STS: awsQuery. GetCallerIdentity is what Terraform and many tools call first.
import { createRequire } from 'node:module';
import { defineService } from '../types.js';

const require = createRequire(import.meta.url);
let sdk: Record<string, unknown> | undefined;

export const stsService = defineService({
  name: 'sts',
  signingNames: ['sts'],
  protocol: 'awsQuery',
  apiVersion: '2011-06-15',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  validationErrorCode: 'ValidationError',
  sdk: () => (sdk ??= require('@aws-sdk/client-sts') as Record<string, unknown>),
  constraints: () => ({}),
  handlers: async () => (await import('./provider.js')).handlers,
});

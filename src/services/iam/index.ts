// IAM (awsQuery, global) and STS (awsQuery): one trust domain, so one folder. STS issues credentials
// for IAM's principals and evaluates IAM's trust policies; both read the same records. IAM's
// start() installs, for strict mode, the access key lookup the authenticate stage verifies
// signatures with (app.credentials) and policy evaluation as the authorize stage (app.authorize).
import { defineService, lazyModule, type Worker } from '../types.js';
import { createAuthorizer, IamCache } from './authorize.js';


export const iamService = defineService<'iam', undefined, Worker>({
  name: 'iam',
  signingNames: ['iam'],
  protocol: 'awsQuery',
  apiVersion: '2010-05-08',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  validationErrorCode: 'ValidationError',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-iam'),
  constraints: lazyModule<Record<string, string[]>>(import.meta.url, './constraints.json'),
  handlers: async () => (await import('./provider.js')).handlers,
  async start(host) {
    const { app } = host;
    const cache = new IamCache(app);
    await cache.start();
    const server = app.credentials;
    const own = cache.lookup();
    app.credentials = async (accessKeyId) => (await server(accessKeyId)) ?? own(accessKeyId);
    app.authorize = createAuthorizer(app, cache);
    return { stop: async () => { cache.stop(); } };
  },
});

export const stsService = defineService({
  name: 'sts',
  signingNames: ['sts'],
  protocol: 'awsQuery',
  apiVersion: '2011-06-15',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  validationErrorCode: 'ValidationError',
  sdk: lazyModule(import.meta.url, '@aws-sdk/client-sts'),
  constraints: () => ({}),
  handlers: async () => (await import('./sts-provider.js')).handlers,
});

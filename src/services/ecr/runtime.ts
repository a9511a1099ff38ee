// What ECR's handlers share with its routes and workers while the server runs: the blob store,
// the token secret, the config, and the registry host clients tag images with.
import { AwsError } from '../../common/errors.js';
import type { AppContext } from '../context.js';
import type { BlobStore } from './blobs.js';
import type { EcrConfig } from './config.js';

export interface EcrRuntime {
  blobs: BlobStore;
  secret: Buffer;
  config: EcrConfig;
}

const running = new WeakMap<AppContext, EcrRuntime>();

export const attachRuntime = (app: AppContext, runtime: EcrRuntime) => { running.set(app, runtime); };
export const detachRuntime = (app: AppContext) => { running.delete(app); };

export function ecrRuntime(app: AppContext): EcrRuntime {
  const rt = running.get(app);
  if (!rt) throw new AwsError('ServerException', 'the ECR service is not running', 500);
  return rt;
}

/** `host:port` of the registry: the server's public address. Docker treats 127.0.0.0/8 and
 *  localhost as plain-HTTP registries, so `docker push <host:port>/<name>` works unchanged. The
 *  account and region come from the token the client logged in with (see README § ECR). */
export function registryHost(app: AppContext): string {
  if (app.config.publicUrl) return new URL(app.config.publicUrl).host;
  const host = app.config.host === '0.0.0.0' || app.config.host === '::' ? '127.0.0.1' : app.config.host;
  return `${host.includes(':') ? `[${host}]` : host}:${app.config.port}`;
}

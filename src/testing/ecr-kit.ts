// For ECR's in-process tests: a server with a controllable clock, an ECR SDK client, and a small
// registry client (fetch with the ECR token) that pushes blobs and manifests the way docker does.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { createHash } from 'node:crypto';
import { credentials, startHarness, type Harness } from './harness.js';

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const V2 = 'application/vnd.docker.distribution.manifest.v2+json';

export interface EcrKit {
  h: Harness;
  ecr: ECRClient;
  clock: { t: number };
  /** An ECR client for another account (12-digit access key = account) or region. */
  client(accessKeyId: string, region?: string): ECRClient;
  token(client?: ECRClient): Promise<string>;
  /** fetch on the registry with `Basic AWS:<token>` (token undefined: no Authorization). */
  reg(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  pushBlob(name: string, bytes: Buffer, token?: string): Promise<string>;
  /** Pushes layers + a config and a schema 2 manifest under tag; resolves the manifest digest. */
  pushImage(name: string, tag: string, layers: Buffer[], token?: string): Promise<{ digest: string; response: Response }>;
  close(): Promise<void>;
}

export async function startEcrKit(): Promise<EcrKit> {
  const clock = { t: Date.parse('2026-11-30T12:00:00Z') };
  const h = await startHarness({ clock: { now: () => new Date(clock.t) }, config: { ecr: { gcIntervalSeconds: 0, lifecycleIntervalSeconds: 0, gcGraceSeconds: 0 } } });
  const clients: ECRClient[] = [];
  const client = (accessKeyId: string, region = 'us-east-1') => {
    const c = new ECRClient({ endpoint: h.url, region, credentials: { ...credentials, accessKeyId }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const ecr = client(credentials.accessKeyId);
  let cached: string | undefined;
  const token = async (c = ecr) => {
    const out = await c.send(new GetAuthorizationTokenCommand({}));
    const t = Buffer.from(out.authorizationData![0].authorizationToken!, 'base64').toString().slice('AWS:'.length);
    if (c === ecr) cached = t;
    return t;
  };
  const reg = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const t = init.token === undefined ? cached ?? await token() : init.token;
    const headers = new Headers(init.headers);
    if (t !== null) headers.set('authorization', `Basic ${Buffer.from(`AWS:${t}`).toString('base64')}`);
    return fetch(`${h.url}${path}`, { ...init, headers });
  };
  const pushBlob = async (name: string, bytes: Buffer, t?: string) => {
    const digest = sha(bytes);
    const res = await reg(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: new Uint8Array(bytes), token: t });
    if (res.status !== 201) throw new Error(`blob push: ${res.status} ${await res.text()}`);
    return digest;
  };
  const pushImage = async (name: string, tag: string, layers: Buffer[], t?: string) => {
    const layerDescs = [];
    for (const l of layers) layerDescs.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.length, digest: await pushBlob(name, l, t) });
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layerDescs.map((d) => d.digest) }, tag }));
    const configDigest = await pushBlob(name, config, t);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: V2,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest }, layers: layerDescs });
    const response = await reg(`/v2/${name}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': V2 }, token: t });
    return { digest: sha(manifest), response };
  };
  return {
    h, ecr, clock, client, token, reg, pushBlob, pushImage,
    async close() { for (const c of clients) c.destroy(); await h.close(); },
  };
}

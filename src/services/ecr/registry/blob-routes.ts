// Blobs through the registry: HEAD/GET (with ranges), and uploads — monolithic (POST ?digest=),
// chunked (POST, PATCH…, PUT ?digest=) and cross-repository mount (POST ?mount=&from=). Request
// bodies stream to the upload file; nothing holds a layer in memory.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope } from '../../../common/records.js';
import type { AppContext } from '../../context.js';
import { DigestMismatchError } from '../blobs.js';
import { blobLinked, linkBlob } from '../image-store.js';
import { DIGEST_PATTERN, GLOBAL, uploads } from '../model.js';
import { ecrRuntime } from '../runtime.js';
import { API_VERSION, parseRange, sendError } from './http.js';

export interface RegistryRequest {
  app: AppContext;
  scope: Scope;
  name: string;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
}

const blobUnknown = (r: RegistryRequest, digest: string) => sendError(r.res, 404, 'BLOB_UNKNOWN', `blob ${digest} is not in repository ${r.name}`);

export async function getBlob(r: RegistryRequest, digest: string, head: boolean): Promise<void> {
  const { blobs } = ecrRuntime(r.app);
  const size = await blobLinked(r.app.store, r.scope, r.name, digest) ? await blobs.size(digest) : undefined;
  if (size === undefined) { blobUnknown(r, digest); return; }
  const range = parseRange(r.req.headers.range, size);
  if (range === 'invalid') { sendError(r.res, 416, 'BLOB_UNKNOWN', `range ${r.req.headers.range} is not satisfiable`, { 'content-range': `bytes */${size}` }); return; }
  const headers = { ...API_VERSION, 'docker-content-digest': digest, 'content-type': 'application/octet-stream', etag: `"${digest}"`,
    'accept-ranges': 'bytes', 'cache-control': 'max-age=31536000' };
  if (range) {
    r.res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${size}` });
  } else {
    r.res.writeHead(200, { ...headers, 'content-length': size });
  }
  if (head) { r.res.end(); return; }
  const stream = blobs.read(digest, range);
  stream.on('error', () => r.res.destroy());
  stream.pipe(r.res);
}

const uploadHeaders = (r: RegistryRequest, uuid: string, size: number) => ({
  ...API_VERSION, location: `/v2/${r.name}/blobs/uploads/${uuid}`, 'docker-upload-uuid': uuid,
  range: `0-${Math.max(0, size - 1)}`, 'content-length': 0,
});

const created = (r: RegistryRequest, digest: string) => r.res.writeHead(201, {
  ...API_VERSION, location: `/v2/${r.name}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': 0,
}).end();

async function newUpload(r: RegistryRequest): Promise<string> {
  const uuid = r.app.ids.uuid();
  // The session before the file: GC takes a file without a session for abandoned.
  await uploads(r.app.store).create(GLOBAL, uuid, { account: r.scope.account, region: r.scope.region, repositoryName: r.name, uuid,
    startedAt: r.app.clock.now().toISOString() });
  await ecrRuntime(r.app).blobs.begin(uuid);
  return uuid;
}

/** Verifies and stores the upload as `digest`, links it to the repository, ends the session. */
async function finish(r: RegistryRequest, uuid: string, digest: string): Promise<boolean> {
  const { blobs } = ecrRuntime(r.app);
  let size: number;
  try {
    size = await blobs.commit(uuid, digest);
  } catch (err) {
    if (!(err instanceof DigestMismatchError)) throw err;
    sendError(r.res, 400, 'DIGEST_INVALID', err.message);
    return false;
  }
  await linkBlob(r.app.store, r.scope, r.name, digest, size, r.app.clock.now());
  await uploads(r.app.store).delete(GLOBAL, uuid);
  return true;
}

export async function startUpload(r: RegistryRequest): Promise<void> {
  const { blobs } = ecrRuntime(r.app);
  const mount = r.query.get('mount');
  const from = r.query.get('from');
  if (mount && from && DIGEST_PATTERN.test(mount)) {
    // Cross-repository mount within the same account and region: no bytes move.
    if (await blobLinked(r.app.store, r.scope, from, mount) && await blobs.size(mount) !== undefined) {
      await linkBlob(r.app.store, r.scope, r.name, mount, (await blobs.size(mount))!, r.app.clock.now());
      await blobs.touch(mount);
      r.req.resume();
      created(r, mount);
      return;
    }
  }
  const digest = r.query.get('digest');
  if (digest !== null && !DIGEST_PATTERN.test(digest)) { r.req.resume(); sendError(r.res, 400, 'DIGEST_INVALID', `invalid digest ${digest}`); return; }
  const uuid = await newUpload(r);
  if (digest !== null) { // monolithic
    await blobs.append(uuid, r.req);
    if (await finish(r, uuid, digest)) created(r, digest);
    return;
  }
  r.req.resume();
  r.res.writeHead(202, uploadHeaders(r, uuid, 0)).end();
}

/** The session, or undefined after answering 404. */
async function session(r: RegistryRequest, uuid: string) {
  const found = await uploads(r.app.store).get(GLOBAL, uuid);
  const size = found ? await ecrRuntime(r.app).blobs.uploadSize(uuid) : undefined;
  if (!found || size === undefined || found.account !== r.scope.account || found.region !== r.scope.region || found.repositoryName !== r.name) {
    r.req.resume();
    sendError(r.res, 404, 'BLOB_UPLOAD_UNKNOWN', `upload ${uuid} is not known in repository ${r.name}`);
    return undefined;
  }
  return { size };
}

export async function patchUpload(r: RegistryRequest, uuid: string): Promise<void> {
  const s = await session(r, uuid);
  if (!s) return;
  const contentRange = r.req.headers['content-range'];
  if (contentRange) {
    const m = /^(?:bytes )?(\d+)-(\d+)$/.exec(contentRange);
    if (!m || Number(m[1]) !== s.size) {
      r.req.resume();
      sendError(r.res, 416, 'BLOB_UPLOAD_INVALID', `chunk ${contentRange} does not start at the upload's end (${s.size})`, uploadHeaders(r, uuid, s.size) as never);
      return;
    }
  }
  const size = await ecrRuntime(r.app).blobs.append(uuid, r.req);
  r.res.writeHead(202, uploadHeaders(r, uuid, size)).end();
}

export async function putUpload(r: RegistryRequest, uuid: string): Promise<void> {
  const s = await session(r, uuid);
  if (!s) return;
  const digest = r.query.get('digest');
  if (!digest || !DIGEST_PATTERN.test(digest)) { r.req.resume(); sendError(r.res, 400, 'DIGEST_INVALID', `invalid digest ${digest ?? '(none)'}`); return; }
  await ecrRuntime(r.app).blobs.append(uuid, r.req); // the last chunk, possibly empty
  if (await finish(r, uuid, digest)) created(r, digest);
}

export async function uploadStatus(r: RegistryRequest, uuid: string): Promise<void> {
  const s = await session(r, uuid);
  if (!s) return;
  r.res.writeHead(204, uploadHeaders(r, uuid, s.size)).end();
}

export async function cancelUpload(r: RegistryRequest, uuid: string): Promise<void> {
  const s = await session(r, uuid);
  if (!s) return;
  await ecrRuntime(r.app).blobs.abort(uuid);
  await uploads(r.app.store).delete(GLOBAL, uuid);
  r.res.writeHead(204, { ...API_VERSION, 'content-length': 0 }).end();
}

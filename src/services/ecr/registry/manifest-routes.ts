// Manifests through the registry (by tag or digest: Docker v2 schema 2, OCI manifest, manifest
// lists and OCI indexes) and tag listing.
import { deleteImage, findImage, MAX_MANIFEST_BYTES, putManifest, untagImage } from '../image-store.js';
import { DIGEST_PATTERN, repos, tagKey } from '../model.js';
import { ecrRuntime } from '../runtime.js';
import type { RegistryRequest } from './blob-routes.js';
import { readBody } from '../../../common/http.js';
import { API_VERSION, sendAwsError, sendError } from './http.js';

const byRef = (ref: string) => DIGEST_PATTERN.test(ref) ? { imageDigest: ref } : { imageTag: ref };

export async function getManifest(r: RegistryRequest, ref: string, head: boolean): Promise<void> {
  const found = await findImage(r.app.store, r.scope, r.name, byRef(ref));
  if (!found) { sendError(r.res, 404, 'MANIFEST_UNKNOWN', 'Requested image not found'); return; }
  const body = Buffer.from(found.value.manifest, 'utf8');
  r.res.writeHead(200, { ...API_VERSION, 'content-type': found.value.mediaType, 'content-length': body.length,
    'docker-content-digest': found.value.digest, etag: `"${found.value.digest}"` });
  r.res.end(head ? undefined : body);
}

export async function putManifestRoute(r: RegistryRequest, ref: string): Promise<void> {
  const body = await readBody(r.req, MAX_MANIFEST_BYTES);
  if (!body) { sendError(r.res, 413, 'SIZE_INVALID', `manifest is larger than ${MAX_MANIFEST_BYTES} bytes`); return; }
  const repo = await repos(r.app.store).get(r.scope, r.name);
  if (!repo) { sendNameUnknown(r); return; }
  const digestRef = DIGEST_PATTERN.test(ref);
  try {
    const image = await putManifest(r.app.store, ecrRuntime(r.app).blobs, r.scope, repo, body, r.req.headers['content-type'],
      digestRef ? undefined : ref, { expectedDigest: digestRef ? ref : undefined, now: r.app.clock.now() });
    r.res.writeHead(201, { ...API_VERSION, location: `/v2/${r.name}/manifests/${image.digest}`, 'docker-content-digest': image.digest, 'content-length': 0 }).end();
  } catch (err) {
    sendAwsError(r.res, err);
  }
}

export async function deleteManifest(r: RegistryRequest, ref: string): Promise<void> {
  const gone = DIGEST_PATTERN.test(ref) ? await deleteImage(r.app.store, r.scope, r.name, ref) : await untagImage(r.app.store, r.scope, r.name, ref);
  if (!gone) { sendError(r.res, 404, 'MANIFEST_UNKNOWN', 'Requested image not found'); return; }
  r.res.writeHead(202, { ...API_VERSION, 'content-length': 0 }).end();
}

export async function listTags(r: RegistryRequest): Promise<void> {
  const n = r.query.has('n') ? Number(r.query.get('n')) : 1000;
  if (!Number.isInteger(n) || n < 1 || n > 1000) { sendError(r.res, 400, 'PAGINATION_NUMBER_INVALID', `invalid number of results requested: ${r.query.get('n')}`); return; }
  const prefix = tagKey(r.scope, r.name, '');
  const last = r.query.get('last');
  const page = await r.app.store.list(prefix, { limit: n + 1, startAfter: last ? prefix + last : undefined });
  const tags = page.slice(0, n).map((kv) => kv.key.slice(prefix.length));
  const headers: Record<string, string | number> = { ...API_VERSION, 'content-type': 'application/json' };
  if (page.length > n) headers.link = `</v2/${r.name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1])}>; rel="next"`;
  const body = JSON.stringify({ name: r.name, tags });
  r.res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
}

export function sendNameUnknown(r: RegistryRequest): void {
  r.req.resume();
  sendError(r.res, 404, 'NAME_UNKNOWN', `The repository with name '${r.name}' does not exist in the registry with id '${r.scope.account}'`);
}

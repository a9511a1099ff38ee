// The registry (OCI Distribution v2) under /v2/, on Berth's one port. Every request carries an ECR
// token (docker login's Basic AWS:<token>, or Bearer): it names the account and region, which is
// how one registry host keeps accounts and regions apart. Paths:
//   /v2/                                    version check / login probe
//   /v2/<name>/manifests/<tag|digest>       GET HEAD PUT DELETE
//   /v2/<name>/blobs/<digest>               GET HEAD
//   /v2/<name>/blobs/uploads/[<uuid>]       POST (start, monolithic, mount) PATCH PUT GET DELETE
//   /v2/<name>/tags/list                    GET
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../../context.js';
import { NAME_PATTERN, repos } from '../model.js';
import { ecrRuntime } from '../runtime.js';
import { cancelUpload, getBlob, patchUpload, putUpload, startUpload, uploadStatus, type RegistryRequest } from './blob-routes.js';
import { API_VERSION, authenticate, sendError } from './http.js';
import { deleteManifest, getManifest, listTags, putManifestRoute, sendNameUnknown } from './manifest-routes.js';

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;

const methodNotAllowed = (res: ServerResponse) => sendError(res, 405, 'UNSUPPORTED', 'The operation is unsupported.');

export function registryHandler(app: AppContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const { secret } = ecrRuntime(app);
    // A blob URL from GetDownloadUrlForLayer carries its token in the query (like a presigned URL).
    const queryToken = BLOB.test(path) && (method === 'GET' || method === 'HEAD') ? url.searchParams.get('token') ?? undefined : undefined;
    const caller = authenticate(req, res, secret, app.clock.now(), queryToken);
    if (!caller) { req.resume(); return; }
    if (path === '/v2/' || path === '/v2') {
      req.resume();
      res.writeHead(200, { ...API_VERSION, 'content-type': 'application/json', 'content-length': 2 }).end('{}');
      return;
    }
    const match = MANIFEST.exec(path) ?? BLOB.exec(path) ?? UPLOAD.exec(path) ?? TAGS.exec(path);
    if (!match || !NAME_PATTERN.test(match[1])) { req.resume(); sendError(res, 404, 'NAME_INVALID', `invalid repository path ${path}`); return; }
    const r: RegistryRequest = { app, scope: { account: caller.account, region: caller.region }, name: match[1], req, res, query: url.searchParams };
    if (!await repos(app.store).get(r.scope, r.name)) { sendNameUnknown(r); return; }
    const ref = match[2];
    if (MANIFEST.test(path)) {
      if (method === 'GET' || method === 'HEAD') await getManifest(r, ref, method === 'HEAD');
      else if (method === 'PUT') await putManifestRoute(r, ref);
      else if (method === 'DELETE') await deleteManifest(r, ref);
      else methodNotAllowed(res);
    } else if (BLOB.test(path)) {
      req.resume();
      if (method === 'GET' || method === 'HEAD') await getBlob(r, ref, method === 'HEAD');
      else methodNotAllowed(res);
    } else if (UPLOAD.test(path)) {
      if (ref === '') { if (method === 'POST') await startUpload(r); else { req.resume(); methodNotAllowed(res); } } else if (method === 'PATCH') await patchUpload(r, ref);
      else if (method === 'PUT') await putUpload(r, ref);
      else if (method === 'GET') await uploadStatus(r, ref);
      else if (method === 'DELETE') await cancelUpload(r, ref);
      else { req.resume(); methodNotAllowed(res); }
    } else {
      req.resume();
      if (method === 'GET') await listTags(r);
      else methodNotAllowed(res);
    }
  };
}

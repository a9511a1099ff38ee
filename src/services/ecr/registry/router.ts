// The registry (OCI Distribution v2) under /v2/, on Berth's one port. Every request carries an ECR
// token (docker login's Basic AWS:<token>, or Bearer): it names the account and region, which is
// how one registry host keeps accounts and regions apart. Paths:
//   /v2/                                    version check / login probe
//   /v2/<name>/manifests/<tag|digest>       GET HEAD PUT DELETE
//   /v2/<name>/blobs/<digest>               GET HEAD
//   /v2/<name>/blobs/uploads/[<uuid>]       POST (start, monolithic, mount) PATCH PUT GET DELETE
//   /v2/<name>/tags/list                    GET
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../../../common/errors.js';
import type { AppContext, Caller, RequestContext } from '../../context.js';
import { NAME_PATTERN, repos, repositoryArn } from '../model.js';
import { ecrRuntime } from '../runtime.js';
import { cancelUpload, getBlob, patchUpload, putUpload, startUpload, uploadStatus, type RegistryRequest } from './blob-routes.js';
import { API_VERSION, authenticate, sendError } from './http.js';
import { deleteManifest, getManifest, listTags, putManifestRoute, sendNameUnknown } from './manifest-routes.js';

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;

const methodNotAllowed = (res: ServerResponse) => sendError(res, 405, 'UNSUPPORTED', 'The operation is unsupported.');

/** The ECR API action a registry request needs, as AWS documents for docker push and pull. */
function actionOf(method: string, path: string): string | undefined {
  const read = method === 'GET' || method === 'HEAD';
  if (MANIFEST.test(path)) return read ? 'BatchGetImage' : method === 'PUT' ? 'PutImage' : method === 'DELETE' ? 'BatchDeleteImage' : undefined;
  if (BLOB.test(path)) return method === 'HEAD' ? 'BatchCheckLayerAvailability' : 'GetDownloadUrlForLayer';
  if (UPLOAD.test(path)) return method === 'POST' ? 'InitiateLayerUpload' : method === 'PUT' ? 'CompleteLayerUpload' : 'UploadLayerPart';
  if (TAGS.test(path)) return 'ListImages';
  return undefined;
}

/** Whether the token's principal may do what the request does (IAM policies in strict mode, where
 *  the token's access key must also still be active); answers 401/403 when not. */
async function allowed(app: AppContext, caller: Caller, req: IncomingMessage, res: ServerResponse, name: string, action: string): Promise<boolean> {
  if (app.config.auth === 'strict' && !await app.credentials(caller.accessKeyId)) {
    sendError(res, 401, 'DENIED', 'Your authorization token is invalid: the access key it was issued to is no longer active');
    return false;
  }
  const ctx: RequestContext = { ...caller, requestId: app.ids.uuid(), service: 'ecr', operation: action, app, protocol: 'awsJson1_1' };
  try {
    await app.authorize(ctx, { repositoryArn: repositoryArn(caller, name) });
    return true;
  } catch (err) {
    if (!(err instanceof AwsError)) throw err;
    req.resume();
    sendError(res, 403, 'DENIED', err.message);
    return false;
  }
}

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
    const action = actionOf(method, path);
    if (action && !await allowed(app, caller, req, res, r.name, action)) return;
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

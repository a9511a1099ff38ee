// Stage 2: which service a request is for, and in which region. Sources, in order: the
// X-Amz-Target prefix (awsJson), the SigV4 credential scope (header or presigned query), and for
// unsigned form requests the one query service whose SDK defines the Action (STS's unsigned calls,
// e.g. AssumeRoleWithWebIdentity).
import { formParams } from '../protocol/query.js';
import type { RawRequest } from '../protocol/types.js';
import type { ServiceDef } from '../services/types.js';

export interface CredentialScope { accessKeyId: string; date: string; region: string; service: string }

export function credentialScope(req: RawRequest): CredentialScope | undefined {
  const header = req.headers.authorization ?? '';
  const m = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(header);
  if (m) return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] };
  const q = req.query.get('X-Amz-Credential');
  const p = q && /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(q);
  return p ? { accessKeyId: p[1], date: p[2], region: p[3], service: p[4] } : undefined;
}

export interface Resolved {
  service?: ServiceDef;
  /** The service name the request asked for, known or not. */
  requested: string;
  region: string;
  scope?: CredentialScope;
}

export function resolveService(req: RawRequest, services: readonly ServiceDef[]): Resolved {
  const scope = credentialScope(req);
  const region = scope?.region ?? 'us-east-1';
  const target = req.headers['x-amz-target'];
  if (target) {
    const prefix = target.slice(0, target.lastIndexOf('.'));
    const service = services.find((s) => s.targetPrefix === prefix);
    if (service) return { service, requested: service.name, region, scope };
  }
  if (scope) {
    const service = services.find((s) => s.signingNames.includes(scope.service));
    return { service, requested: scope.service, region, scope };
  }
  const action = target ? null : formParams(req).get('Action');
  if (action) {
    const candidates = services.filter((s) => (s.protocol === 'awsQuery' || s.protocol === 'ec2Query') && `${action}$` in s.sdk());
    if (candidates.length === 1) return { service: candidates[0], requested: candidates[0].name, region };
  }
  return { service: undefined, requested: target ? target.split('.')[0] : 'unknown', region };
}

// The guard in front of Berth's operational endpoints (/_berth/*, except the read-only health
// probe). In every mode a request must name this server in its Host header (no DNS rebinding) and
// must not come from another origin (no CORS: a web page's cross-origin POST is refused before the
// handler runs). In strict mode the request must also be SigV4-signed with the root account's key.
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { AwsError } from '../common/errors.js';
import type { AppContext } from '../services/context.js';
import { isStrict, requestAuthenticator } from './auth.js';

export const OPERATIONAL_PREFIX = '/_berth/';
/** Open to probes in every mode: it changes nothing and shows no account's data. */
const UNGUARDED = new Set(['/_berth/health']);

export const isGuarded = (path: string) => path.startsWith(OPERATIONAL_PREFIX) && !UNGUARDED.has(path);

const hostOf = (value: string) => {
  try { return new URL(`http://${value}`).hostname.replace(/^\[|\]$/g, '').toLowerCase(); } catch { return undefined; }
};

/** The names this server answers to: its listen address, loopback names, its public URL's host,
 *  and when it listens on every interface, every interface's address and the machine's name. */
export function serverNames(app: AppContext): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1', app.config.host.replace(/^\[|\]$/g, '').toLowerCase()]);
  if (app.config.publicUrl) {
    try { names.add(new URL(app.config.publicUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase()); } catch { /* ignored: not a URL */ }
  }
  if (app.config.host === '0.0.0.0' || app.config.host === '::') {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(i.address.toLowerCase());
  }
  return names;
}

/** Undefined when the request may reach the endpoint; else the error to answer with. */
export async function guardOperational(app: AppContext, req: IncomingMessage, body: Buffer): Promise<AwsError | undefined> {
  const names = serverNames(app);
  const host = hostOf(req.headers.host ?? '');
  if (!host || !names.has(host)) {
    return new AwsError('AccessDenied', `Host '${req.headers.host ?? ''}' is not this server's name: operational endpoints answer only requests addressed to ${[...names].slice(0, 4).join(', ')}.`, 403);
  }
  const origin = req.headers.origin;
  const crossSite = req.headers['sec-fetch-site'];
  if ((origin !== undefined && (origin === 'null' || hostOf(origin.replace(/^[a-z]+:\/\//i, '')) !== host))
    || (crossSite !== undefined && crossSite !== 'same-origin' && crossSite !== 'none')) {
    return new AwsError('AccessDenied', `Cross-origin requests to operational endpoints are refused (Origin '${origin ?? crossSite}').`, 403);
  }
  if (!isStrict(app)) return undefined;
  try {
    const caller = await requestAuthenticator(app)(req, body);
    if (caller.principalArn !== `arn:aws:iam::${caller.account}:root`) {
      return new AwsError('AccessDenied', `User: ${caller.principalArn} is not authorized to use operational endpoints: they require the root account's credentials.`, 403);
    }
    return undefined;
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
}

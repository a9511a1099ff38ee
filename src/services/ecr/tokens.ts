// Registry tokens: GetAuthorizationToken hands out base64("AWS:<token>"); the registry verifies
// <token> = base64url(payload).base64url(HMAC-SHA256(secret, payload)), payload = {a, r, e}: the
// account and region it is scoped to and its expiry (12 h after issue, as AWS's). The secret is
// created once and persisted in the store, so tokens survive a restart of the server.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../../common/records.js';
import type { Store } from '../../store/types.js';
import { recordKey } from '../../common/records.js';
import { GLOBAL } from './model.js';

export const TOKEN_HOURS = 12;
const SECRET_KEY = recordKey('ecr', GLOBAL, 'secret', 'token');

export async function tokenSecret(store: Store): Promise<Buffer> {
  const existing = await store.get(SECRET_KEY);
  if (existing) return Buffer.from(existing.value, 'base64');
  await store.create(SECRET_KEY, randomBytes(32).toString('base64'));
  return Buffer.from((await store.get(SECRET_KEY))!.value, 'base64'); // whoever created it first wins
}

interface Payload { a: string; r: string; e: number; p?: string; k?: string }

/** Who a token was issued to. */
export interface TokenGrant extends Scope { principalArn: string; accessKeyId: string }

export function signToken(secret: Buffer, to: Scope & Partial<TokenGrant>, expiresAt: Date): string {
  const body: Payload = { a: to.account, r: to.region, e: expiresAt.getTime(), p: to.principalArn, k: to.accessKeyId };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

/** The scope a token grants, or a reason it grants nothing. */
export function verifyToken(secret: Buffer, token: string, now: Date): TokenGrant | { refused: string } {
  const [payload, mac, extra] = token.split('.');
  if (!payload || !mac || extra !== undefined) return { refused: 'malformed token' };
  const expected = createHmac('sha256', secret).update(payload).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { refused: 'invalid token signature' };
  let parsed: Payload;
  try { parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Payload; } catch { return { refused: 'malformed token' }; }
  if (typeof parsed.e !== 'number' || parsed.e <= now.getTime()) return { refused: 'token expired' };
  if (typeof parsed.a !== 'string' || typeof parsed.r !== 'string') return { refused: 'malformed token' };
  return { account: parsed.a, region: parsed.r, principalArn: parsed.p ?? `arn:aws:iam::${parsed.a}:root`, accessKeyId: parsed.k ?? 'ecr-token' };
}

/** The token from an Authorization header (Basic AWS:<token>, or Bearer <token>). */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (!/^basic$/i.test(scheme) || !value) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

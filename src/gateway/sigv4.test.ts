// SigV4 verification against the official test-suite vectors (botocore's aws4_testsuite, data in
// testdata/aws4_testsuite/) and against requests signed by the SDK's own signer: header and
// presigned, hashed and UNSIGNED-PAYLOAD, session tokens, and every way a request can fail.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { RawRequest } from '../protocol/types.js';
import { parseSignature, SigV4Failure, verifySignature, type SigV4FailureKind } from './sigv4.js';

const dir = new URL('../../src/gateway/testdata/aws4_testsuite/', import.meta.url);
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SIGNED_AT = new Date('2015-08-30T12:36:00Z');

/** A .sreq file (HTTP request text) as the gateway would hand it over. */
function fromSreq(text: string, authz?: string): RawRequest {
  const [head, ...rest] = text.split('\n\n');
  const [requestLine, ...lines] = head.split('\n');
  const [method, target] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of lines) {
    if (/^\s/.test(line)) { headers[last] += `,${line.trim()}`; continue; }
    const colon = line.indexOf(':');
    last = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[last] = headers[last] === undefined ? value : `${headers[last]},${value}`;
  }
  if (authz) headers.authorization = authz.trim();
  const url = new URL(target, 'http://example.amazonaws.com');
  return { method, path: url.pathname, query: url.searchParams, headers, body: Buffer.from(rest.join('\n\n')) };
}

function failure(fn: () => void): SigV4FailureKind {
  try { fn(); } catch (err) { if (err instanceof SigV4Failure) return err.kind; throw err; }
  assert.fail('verification passed');
}

describe('SigV4 verification', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.sreq')).map((f) => f.slice(0, -5));

  it('has the test-suite vectors', () => assert.ok(cases.length >= 10, cases.join(',')));

  for (const name of cases) {
    it(`aws4_testsuite ${name}: passes with the right secret, fails with a wrong one`, () => {
      const authzFile = new URL(`${name}.authz`, dir);
      const req = fromSreq(readFileSync(new URL(`${name}.sreq`, dir), 'utf8'), existsSync(authzFile) ? readFileSync(authzFile, 'utf8') : undefined);
      const sig = parseSignature(req);
      assert.ok(sig);
      assert.equal(sig.accessKeyId, 'AKIDEXAMPLE');
      verifySignature(req, sig, SECRET, SIGNED_AT);
      assert.equal(failure(() => verifySignature(req, sig, `${SECRET}x`, SIGNED_AT)), 'signature');
    });
  }

  it('a body changed after signing fails (hashed payload)', () => {
    const req = fromSreq(readFileSync(new URL('post-x-www-form-urlencoded.sreq', dir), 'utf8'));
    const tampered = { ...req, body: Buffer.from('Param1=value2') };
    assert.equal(failure(() => verifySignature(tampered, parseSignature(tampered)!, SECRET, SIGNED_AT)), 'signature');
  });

  it('the 5-minute clock-skew rule, both ways', () => {
    const req = fromSreq(readFileSync(new URL('get-vanilla.sreq', dir), 'utf8'));
    const sig = parseSignature(req)!;
    verifySignature(req, sig, SECRET, new Date(SIGNED_AT.getTime() + 4 * 60_000));
    verifySignature(req, sig, SECRET, new Date(SIGNED_AT.getTime() - 4 * 60_000));
    assert.equal(failure(() => verifySignature(req, sig, SECRET, new Date(SIGNED_AT.getTime() + 6 * 60_000))), 'expired');
    assert.equal(failure(() => verifySignature(req, sig, SECRET, new Date(SIGNED_AT.getTime() - 6 * 60_000))), 'expired');
  });

  it('malformed Authorization headers are incomplete signatures', () => {
    const base = fromSreq(readFileSync(new URL('get-vanilla.sreq', dir), 'utf8'));
    for (const authorization of [
      'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=00', 'AWS AKIDEXAMPLE:abc', 'Bearer x',
    ]) {
      assert.equal(failure(() => parseSignature({ ...base, headers: { ...base.headers, authorization } })), 'incomplete', authorization);
    }
    const { 'x-amz-date': _date, ...noDate } = base.headers;
    assert.equal(failure(() => parseSignature({ ...base, headers: noDate })), 'incomplete');
    assert.equal(parseSignature({ ...base, headers: { host: 'example.amazonaws.com' } }), undefined, 'no signature at all');
  });

  // The SDK's signer (what the JS SDK and the agent use), header and presigned.
  const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token-1' };
  const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'ecs', sha256: Sha256 });
  const request = (body: string, extra: Record<string, string> = {}) => ({
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4566, path: '/', query: {},
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-amz-json-1.1', ...extra }, body,
  });
  const toRaw = (signed: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string>; body?: unknown }): RawRequest => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(signed.query ?? {})) if (typeof v === 'string') query.append(k, v);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
    return { method: signed.method, path: signed.path, query, headers, body: Buffer.from(String(signed.body ?? '')) };
  };

  it('SDK signer, header, hashed payload with a session token', async () => {
    const now = new Date();
    const raw = toRaw(await signer.sign(request('{"cluster":"a"}'), { signingDate: now }));
    const sig = parseSignature(raw)!;
    assert.equal(sig.sessionToken, 'token-1');
    assert.equal(sig.region, 'eu-west-1');
    verifySignature(raw, sig, 'secret', now);
    assert.equal(failure(() => verifySignature({ ...raw, body: Buffer.from('{"cluster":"b"}') }, sig, 'secret', now)), 'signature');
  });

  it('SDK signer, header, UNSIGNED-PAYLOAD', async () => {
    const now = new Date();
    const raw = toRaw(await signer.sign(request('{}', { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), { signingDate: now }));
    verifySignature({ ...raw, body: Buffer.from('anything') }, parseSignature(raw)!, 'secret', now);
  });

  it('SDK signer, presigned query: passes until X-Amz-Expires, then RequestExpired; a changed parameter fails', async () => {
    const now = new Date();
    const signed = await signer.presign({ ...request(''), method: 'GET', query: { Action: 'GetCallerIdentity' } }, { signingDate: now, expiresIn: 60 });
    const raw = toRaw(signed);
    const sig = parseSignature(raw)!;
    assert.equal(sig.presigned, true);
    verifySignature(raw, sig, 'secret', new Date(now.getTime() + 59_000));
    assert.equal(failure(() => verifySignature(raw, sig, 'secret', new Date(now.getTime() + 61_000))), 'requestExpired');
    const changed = new URLSearchParams(raw.query);
    changed.set('Action', 'AssumeRole');
    assert.equal(failure(() => verifySignature({ ...raw, query: changed }, parseSignature({ ...raw, query: changed })!, 'secret', now)), 'signature');
  });
});

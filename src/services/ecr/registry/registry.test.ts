// The registry (OCI Distribution v2) over real HTTP: the token challenge, monolithic and chunked
// uploads with digest verification, ranges, cross-repository mount, manifests by tag and digest
// (schema 2 and OCI index), IMMUTABLE tags, tag listing, deletes, and wrong or expired tokens.
import { CreateRepositoryCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sha, startEcrKit, V2, type EcrKit } from '../../../testing/ecr-kit.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe('ECR registry', () => {
  let k: EcrKit;
  before(async () => { k = await startEcrKit(); });
  after(async () => { await k.close(); });
  beforeEach(async () => {
    await k.h.reset();
    await k.token();
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
  });

  it('challenges without a token; refuses a wrong, tampered or expired one', async () => {
    const none = await k.reg('/v2/', { token: null });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="/);
    assert.equal(none.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal((await k.reg('/v2/', { token: 'garbage' })).status, 401);
    const good = await k.token();
    const [payload, mac] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), a: '111111111111' })).toString('base64url');
    assert.equal((await k.reg('/v2/', { token: `${forged}.${mac}` })).status, 401);
    assert.equal((await k.reg('/v2/', { token: good })).status, 200);
    k.clock.t += 12 * 3600_000 + 1000; // 12 h later the token has expired
    const expired = await k.reg('/v2/', { token: good });
    assert.equal(expired.status, 401);
    assert.match(await expired.text(), /expired/);
    k.clock.t -= 12 * 3600_000 + 1000;
  });

  it('pushes a blob monolithically and chunked, verifies digests, serves ranges', async () => {
    const bytes = Buffer.from('0123456789abcdef'.repeat(1000));
    const digest = await k.pushBlob('app', bytes);
    const head = await k.reg(`/v2/app/blobs/${digest}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(bytes.length));
    assert.equal(head.headers.get('docker-content-digest'), digest);
    const part = await k.reg(`/v2/app/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
    assert.equal(await part.text(), 'abcdef0123');
    assert.equal((await k.reg(`/v2/app/blobs/${digest}`, { headers: { range: `bytes=${bytes.length}-` } })).status, 416);

    // Chunked: POST, two PATCHes, PUT with the digest.
    const chunked = Buffer.from('chunk-one|chunk-two');
    const start = await k.reg('/v2/app/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    const location = start.headers.get('location')!;
    const p1 = await k.reg(location, { method: 'PATCH', body: 'chunk-one|', headers: { 'content-range': '0-9' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), '0-9');
    // A chunk that does not start where the upload ends is refused.
    assert.equal((await k.reg(location, { method: 'PATCH', body: 'x', headers: { 'content-range': '3-3' } })).status, 416);
    await k.reg(location, { method: 'PATCH', body: 'chunk-two' });
    const status = await k.reg(location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${chunked.length - 1}`);
    // The wrong digest is refused and nothing is stored under it.
    const wrong = sha('something else');
    assert.equal((await k.reg(`${location}?digest=${wrong}`, { method: 'PUT' })).status, 400);
    assert.equal((await k.reg(`/v2/app/blobs/${wrong}`, { method: 'HEAD' })).status, 404);
    const done = await k.reg(`${location}?digest=${sha(chunked)}`, { method: 'PUT' });
    assert.equal(done.status, 201);
    assert.equal(await (await k.reg(`/v2/app/blobs/${sha(chunked)}`)).text(), chunked.toString());
    assert.equal((await k.reg(location)).status, 404); // the session is over
  });

  it('mounts a blob from another repository of the account without moving bytes', async () => {
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'other' }));
    const digest = await k.pushBlob('app', Buffer.from('shared layer'));
    assert.equal((await k.reg(`/v2/other/blobs/${digest}`, { method: 'HEAD' })).status, 404);
    const mount = await k.reg(`/v2/other/blobs/uploads/?mount=${digest}&from=app`, { method: 'POST' });
    assert.equal(mount.status, 201);
    assert.equal((await k.reg(`/v2/other/blobs/${digest}`, { method: 'HEAD' })).status, 200);
    // A mount of a blob the source does not have falls back to an upload session.
    assert.equal((await k.reg(`/v2/other/blobs/uploads/?mount=${sha('nope')}&from=app`, { method: 'POST' })).status, 202);
  });

  it('stores manifests by tag and digest, lists tags, enforces IMMUTABLE, deletes', async () => {
    const a = await k.pushImage('app', 'v1', [Buffer.from('layer a')]);
    assert.equal(a.response.status, 201);
    assert.equal(a.response.headers.get('docker-content-digest'), a.digest);
    const byTag = await k.reg('/v2/app/manifests/v1', { headers: { accept: V2 } });
    assert.equal(byTag.headers.get('content-type'), V2);
    assert.equal(sha(Buffer.from(await byTag.arrayBuffer())), a.digest);
    assert.equal((await k.reg(`/v2/app/manifests/${a.digest}`, { method: 'HEAD' })).headers.get('docker-content-digest'), a.digest);
    const missing = await k.reg('/v2/app/manifests/nope');
    assert.equal(missing.status, 404);
    assert.equal((await missing.json() as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_UNKNOWN');

    // A manifest naming a blob the repository lacks is refused.
    const orphan = JSON.stringify({ schemaVersion: 2, mediaType: V2, config: { mediaType: 'x', size: 1, digest: sha('absent') }, layers: [] });
    const refused = await k.reg('/v2/app/manifests/bad', { method: 'PUT', body: orphan, headers: { 'content-type': V2 } });
    assert.equal(refused.status, 400);
    assert.equal((await refused.json() as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');

    // Moving a tag leaves the old image untagged (MUTABLE).
    const b = await k.pushImage('app', 'v1', [Buffer.from('layer b')]);
    assert.equal(b.response.status, 201);
    const details = (await k.ecr.send(new DescribeImagesCommand({ repositoryName: 'app' }))).imageDetails!;
    assert.deepEqual(details.map((d) => [d.imageDigest, d.imageTags]).sort(), [[a.digest, undefined], [b.digest, ['v1']]].sort());

    // An OCI index over the two images, pushed by digest.
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [a, b].map((m) => ({ mediaType: V2, digest: m.digest, size: 1 })) });
    const put = await k.reg(`/v2/app/manifests/${sha(index)}`, { method: 'PUT', body: index, headers: { 'content-type': OCI_INDEX } });
    assert.equal(put.status, 201);
    assert.equal((await k.reg(`/v2/app/manifests/${sha(index)}`)).headers.get('content-type'), OCI_INDEX);
    // A digest reference that does not match the body is refused.
    assert.equal((await k.reg(`/v2/app/manifests/${sha('x')}`, { method: 'PUT', body: index, headers: { 'content-type': OCI_INDEX } })).status, 400);

    await k.pushImage('app', 'v2', [Buffer.from('layer a')]);
    const tags = await (await k.reg('/v2/app/tags/list?n=1')).json() as { tags: string[] };
    assert.deepEqual(tags.tags, ['v1']);
    assert.deepEqual((await (await k.reg('/v2/app/tags/list?n=1&last=v1')).json() as { tags: string[] }).tags, ['v2']);

    assert.equal((await k.reg(`/v2/app/manifests/${a.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await k.reg(`/v2/app/manifests/${a.digest}`)).status, 404);

    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'locked', imageTagMutability: 'IMMUTABLE' }));
    assert.equal((await k.pushImage('locked', 'v1', [Buffer.from('one')])).response.status, 201);
    assert.equal((await k.pushImage('locked', 'v1', [Buffer.from('one')])).response.status, 201, 'the same image again is fine');
    const again = await k.pushImage('locked', 'v1', [Buffer.from('two')]);
    assert.equal(again.response.status, 400);
    assert.equal((await again.response.json() as { errors: { code: string }[] }).errors[0].code, 'TAG_INVALID');
  });

  it('answers NAME_UNKNOWN for a repository that does not exist (push creates nothing)', async () => {
    const res = await k.reg('/v2/ghost/blobs/uploads/', { method: 'POST' });
    assert.equal(res.status, 404);
    assert.equal((await res.json() as { errors: { code: string }[] }).errors[0].code, 'NAME_UNKNOWN');
  });
});

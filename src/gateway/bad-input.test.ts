// Bad input, through raw HTTP and the real SDK: every case must answer AWS's exact error code and
// HTTP status, and change nothing (the whole store, and what the List APIs show, are identical
// before and after).
import {
  CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand, ListClustersCommand, ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand, UpdateClusterSettingsCommand, type ContainerDefinition,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ecsHeaders, startHarness, type Harness } from '../testing/harness.js';

const container = (name: string): ContainerDefinition => ({ name, image: 'busybox', memory: 32 });

describe('bad input changes nothing and names the AWS error', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => {
    await h.reset();
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'seed' }));
    await h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'seed', containerDefinitions: [container('app')] }));
  });

  /** Everything observable: the raw store (keys, values, revision) and the List APIs. */
  async function snapshot() {
    const store = h.berth.app.store;
    const snap = {
      revision: await store.currentRevision(),
      keys: (await store.list('/')).map((kv) => [kv.key, kv.value, kv.modRevision]),
      clusters: (await h.ecs.send(new ListClustersCommand({}))).clusterArns,
      taskDefinitions: (await h.ecs.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns,
    };
    // The seed is there: a comparison of empty states would prove nothing.
    assert.equal(snap.clusters?.length, 1);
    assert.equal(snap.taskDefinitions?.length, 1);
    return snap;
  }

  /** Runs `act`, which must fail with `code` (and `status`), and checks that nothing changed. */
  async function rejects(act: () => Promise<unknown>, code: string, status: number, message?: RegExp) {
    const before = await snapshot();
    await assert.rejects(act(), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, code, `error code (message: ${err.message})`);
      assert.equal(err.$metadata?.httpStatusCode, status, 'HTTP status');
      if (message) assert.match(err.message, message);
      return true;
    });
    assert.deepEqual(await snapshot(), before, 'state changed');
  }

  /** A raw POST that must answer `status` with JSON `{__type: code}` (and x-amzn-ErrorType), changing nothing. */
  async function rawRejects(headers: Record<string, string>, body: string, code: string, status: number, message?: RegExp) {
    const before = await snapshot();
    const res = await h.post(headers, body);
    assert.equal(res.status, status, res.text);
    const parsed = JSON.parse(res.text) as { __type?: string; message?: string };
    assert.equal(parsed.__type, code, res.text);
    assert.equal(res.headers.get('x-amzn-errortype'), code);
    assert.ok(res.headers.get('x-amzn-requestid'), 'request id header');
    if (message) assert.match(parsed.message ?? '', message);
    assert.deepEqual(await snapshot(), before, 'state changed');
    return parsed;
  }

  // --- task definitions -------------------------------------------------------------------

  it('RegisterTaskDefinition without family → InvalidParameterException 400', async () => {
    await rawRejects(ecsHeaders('RegisterTaskDefinition'), JSON.stringify({ containerDefinitions: [container('app')] }),
      'InvalidParameterException', 400, /family/);
  });

  it('RegisterTaskDefinition with 11 containers → ClientException 400', async () => {
    const containerDefinitions = Array.from({ length: 11 }, (_, i) => container(`c${i}`));
    await rejects(() => h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'seed', containerDefinitions })),
      'ClientException', 400, /[Tt]oo many containers/);
  });

  it('RegisterTaskDefinition with duplicate container names → ClientException 400', async () => {
    await rejects(() => h.ecs.send(new RegisterTaskDefinitionCommand({ family: 'seed', containerDefinitions: [container('app'), container('app')] })),
      'ClientException', 400, /unique/);
  });

  it('a number given as a string (memory: "abc") → SerializationException 400', async () => {
    await rawRejects(ecsHeaders('RegisterTaskDefinition'),
      JSON.stringify({ family: 'seed', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 'abc' }] }),
      'SerializationException', 400);
  });

  it('ListTaskDefinitions with status BAD → InvalidParameterException 400', async () => {
    await rawRejects(ecsHeaders('ListTaskDefinitions'), JSON.stringify({ status: 'BAD' }), 'InvalidParameterException', 400, /status/);
  });

  // --- clusters -----------------------------------------------------------------------------

  it('an unknown cluster → ClusterNotFoundException 400 (delete and update)', async () => {
    await rejects(() => h.ecs.send(new DeleteClusterCommand({ cluster: 'nope' })), 'ClusterNotFoundException', 400);
    await rejects(() => h.ecs.send(new UpdateClusterSettingsCommand({ cluster: 'nope', settings: [{ name: 'containerInsights', value: 'enabled' }] })),
      'ClusterNotFoundException', 400);
  });

  it('DescribeClusters with include BAD → InvalidParameterException 400', async () => {
    await rejects(() => h.ecs.send(new DescribeClustersCommand({ clusters: ['seed'], include: ['BAD' as never] })),
      'InvalidParameterException', 400, /BAD/);
  });

  it('a cluster name with bad characters → InvalidParameterException 400', async () => {
    await rejects(() => h.ecs.send(new CreateClusterCommand({ clusterName: 'bad name!' })), 'InvalidParameterException', 400);
    await rejects(() => h.ecs.send(new CreateClusterCommand({ clusterName: 'x'.repeat(256) })), 'InvalidParameterException', 400);
  });

  it('a nextToken Berth did not hand out → InvalidParameterException 400', async () => {
    await rejects(() => h.ecs.send(new ListClustersCommand({ nextToken: 'not-a-token' })), 'InvalidParameterException', 400, /nextToken/);
  });

  it('maxResults outside 1..100 → InvalidParameterException 400', async () => {
    await rejects(() => h.ecs.send(new ListClustersCommand({ maxResults: 0 })), 'InvalidParameterException', 400, /maxResults/);
    await rejects(() => h.ecs.send(new ListClustersCommand({ maxResults: 101 })), 'InvalidParameterException', 400, /maxResults/);
  });

  it('a list given as a string → SerializationException 400', async () => {
    await rawRejects(ecsHeaders('DescribeClusters'), JSON.stringify({ clusters: 'seed' }), 'SerializationException', 400, /clusters/);
  });

  // --- the wire --------------------------------------------------------------------------------

  it('malformed JSON → SerializationException 400', async () => {
    await rawRejects(ecsHeaders('CreateCluster'), '{"clusterName": "half', 'SerializationException', 400);
  });

  it('a JSON array as the body → SerializationException 400', async () => {
    await rawRejects(ecsHeaders('CreateCluster'), '[{"clusterName": "arr"}]', 'SerializationException', 400);
  });

  it('a JSON string as the body → SerializationException 400', async () => {
    await rawRejects(ecsHeaders('CreateCluster'), '"arr"', 'SerializationException', 400);
  });

  it('a content type other than JSON → UnknownOperationException 400', async () => {
    await rawRejects({ ...ecsHeaders('CreateCluster'), 'content-type': 'text/plain' }, '{"clusterName": "plain"}',
      'UnknownOperationException', 400, /text\/plain/);
  });

  it('an operation ECS does not have → UnknownOperationException 400', async () => {
    await rawRejects(ecsHeaders('LaunchRocket'), '{}', 'UnknownOperationException', 400, /LaunchRocket/);
  });

  it('no X-Amz-Target at all → UnknownOperationException 400', async () => {
    const { 'x-amz-target': _target, ...headers } = ecsHeaders('CreateCluster');
    await rawRejects(headers, '{"clusterName": "none"}', 'UnknownOperationException', 400);
  });

  it('an ECS operation Berth has no handler for → 501 NotImplemented naming it, whatever the input', async () => {
    await rawRejects(ecsHeaders('CreateDaemon'), '{}', 'NotImplemented', 501, /^ecs:CreateDaemon is not implemented in Berth yet$/);
    await rawRejects(ecsHeaders('CreateDaemon'), '{not json', 'NotImplemented', 501, /ecs:CreateDaemon/);
  });

  it('a service Berth does not have → 501 NotImplemented naming it', async () => {
    const headers = {
      'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x',
    };
    await rawRejects(headers, '{}', 'NotImplemented', 501, /'sqs'/);
  });

  /** A raw STS (awsQuery) POST that must answer 400 with `<ErrorResponse>` naming `code`. */
  async function stsRejects(body: string, code: string, message: RegExp) {
    const before = await snapshot();
    const res = await h.post({
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x',
    }, body);
    assert.equal(res.status, 400, res.text);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    const m = /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>(\w+)<\/Code><Message>([^<]*)<\/Message><\/Error><RequestId>[-0-9a-f]+<\/RequestId><\/ErrorResponse>$/.exec(res.text);
    assert.ok(m, res.text);
    assert.equal(m[1], code);
    assert.match(m[2], message);
    assert.deepEqual(await snapshot(), before);
  }

  it('an STS action that does not exist → InvalidAction 400 in <ErrorResponse> XML', async () => {
    await stsRejects('Action=GetCallerIdentities&Version=2011-06-15', 'InvalidAction', /GetCallerIdentities/);
  });

  it('an STS request without Action → MissingAction 400', async () => {
    await stsRejects('Version=2011-06-15', 'MissingAction', /Action/);
  });

  it('DescribeClusters with 101 clusters → InvalidParameterException 400', async () => {
    const clusters = Array.from({ length: 101 }, (_, i) => `c${i}`);
    await rejects(() => h.ecs.send(new DescribeClustersCommand({ clusters })), 'InvalidParameterException', 400, /100/);
  });
});

// The registry in strict mode: a registry request is authorized as the principal the token was
// issued to (IAM policies over the ECR actions docker push and pull need), and a token stops
// working when that principal's access key is deleted.
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newRootCredentials } from '../../server/root-credentials.js';
import { sha } from '../../testing/ecr-kit.js';
import { startHarness, type Harness } from '../../testing/harness.js';

describe('ECR registry in strict mode', () => {
  let h: Harness;
  let iam: IAMClient;
  const clients: ECRClient[] = [];
  const root = newRootCredentials('333344445555');
  const ecrAs = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const c = new ECRClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const tokenOf = async (c: ECRClient) => (await c.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!;
  const reg = (path: string, token: string, init: RequestInit = {}) => fetch(`${h.url}${path}`, { ...init, headers: { authorization: `Basic ${token}` } });

  before(async () => {
    h = await startHarness({ auth: 'strict', rootCredentials: root, host: '127.0.60.7' });
    iam = new IAMClient({ endpoint: h.url, region: 'us-east-1', credentials: root, maxAttempts: 1 });
  });
  after(async () => { for (const c of clients) c.destroy(); iam.destroy(); await h.close(); });

  it('a pull-only user pulls but cannot push; its token dies with its access key', async () => {
    const admin = ecrAs(root);
    const repo = (await admin.send(new CreateRepositoryCommand({ repositoryName: 'guarded' }))).repository!;
    const rootToken = await tokenOf(admin);
    const layer = 'a layer only root may push';
    assert.equal((await reg(`/v2/guarded/blobs/uploads/?digest=${sha(layer)}`, rootToken, { method: 'POST', body: layer })).status, 201);

    await iam.send(new CreateUserCommand({ UserName: 'puller' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'puller', PolicyName: 'pull', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      { Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], Resource: repo.repositoryArn },
    ] }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'puller' }))).AccessKey!;
    const token = await tokenOf(ecrAs({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }));

    assert.equal(await (await reg(`/v2/guarded/blobs/${sha(layer)}`, token)).text(), layer);
    const push = await reg('/v2/guarded/blobs/uploads/', token, { method: 'POST' });
    assert.equal(push.status, 403);
    assert.match(await push.text(), /not authorized to perform: ecr:InitiateLayerUpload/);

    await iam.send(new DeleteAccessKeyCommand({ UserName: 'puller', AccessKeyId: key.AccessKeyId! }));
    assert.equal((await reg(`/v2/guarded/blobs/${sha(layer)}`, token)).status, 401);
  });
});

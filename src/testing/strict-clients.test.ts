// `berth server --auth strict` as a user runs it, and requests signed by every real client: AWS CLI
// v1 and v2 and boto3 (the SDK's signer is covered in-process). The root key is created once,
// stored 0600 and printed by `berth credentials`; a right key passes, a wrong secret gets AWS's
// error code; the seed's `aws iam list-users` works verbatim.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, spawnBerth, type ChildServer } from './child-server.js';
import { AWS_CLI_V2, requireAwsCliV1, requireAwsCliV2 } from './requirements.js';

interface Run { code: number; stdout: string; stderr: string }

function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

const hasBoto3 = () => spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;

describe('strict mode with real clients', () => {
  let server: ChildServer | undefined;
  let dir: string;
  let key: { id: string; secret: string };
  let env: (id: string, secret: string) => Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-strict-'));
    server = await spawnBerth({ data: join(dir, 'data'), extra: ['--auth', 'strict', '--host', '127.0.30.3'] });
    const printed = /root access key (AKIA\w+) secret (\S+)/.exec(server.output());
    assert.ok(printed, server.output());
    key = { id: printed[1], secret: printed[2] };
    writeFileSync(join(dir, 'config'), '');
    writeFileSync(join(dir, 'credentials'), '');
    env = (id, secret) => {
      const base: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) base[k] = v;
      return { ...base, AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PAGER: '', AWS_DEFAULT_OUTPUT: 'json', AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1' };
    };
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the root key is stored 0600 and `berth credentials` prints it again', () => {
    assert.equal(statSync(join(dir, 'data', 'root-credentials.json')).mode & 0o777, 0o600);
    const again = spawnSync(process.execPath, [join(repoRoot, 'bin', 'berth.js'), 'credentials', '--data', join(dir, 'data')], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`export AWS_ACCESS_KEY_ID=${key.id}\\nexport AWS_SECRET_ACCESS_KEY=${key.secret.replace(/[+/]/g, '\\$&')}`));
  });

  for (const [label, command, requirement] of [['AWS CLI v1', 'aws', requireAwsCliV1], ['AWS CLI v2', AWS_CLI_V2, requireAwsCliV2]] as const) {
    let skip: string | false = false;
    try { skip = requirement().skip; } catch (err) { it(`${label} is installed`, () => { throw err; }); continue; }
    it(`${label}: signed with the root key it works (iam list-users verbatim, sts, ecs); a wrong secret is refused`, { skip }, async () => {
      const cli = (args: string[], secret = key.secret) => run(command, ['--endpoint-url', server!.url, ...args], env(key.id, secret));
      const created = await cli(['iam', 'create-user', '--user-name', `cli-${label.at(-1)}`]);
      assert.equal(created.code, 0, created.stderr);
      const users = await cli(['iam', 'list-users']);
      assert.equal(users.code, 0, users.stderr);
      assert.ok((JSON.parse(users.stdout) as { Users: Array<{ UserName: string }> }).Users.some((u) => u.UserName === `cli-${label.at(-1)}`));
      const id = await cli(['sts', 'get-caller-identity']);
      assert.equal(JSON.parse(id.stdout).Arn, 'arn:aws:iam::000000000000:root');
      const ecs = await cli(['ecs', 'list-clusters']);
      assert.equal(ecs.code, 0, ecs.stderr);
      const wrongEcs = await cli(['ecs', 'list-clusters'], 'wrong-secret');
      assert.notEqual(wrongEcs.code, 0);
      assert.match(wrongEcs.stderr, /InvalidSignatureException/);
      const wrongSts = await cli(['sts', 'get-caller-identity'], 'wrong-secret');
      assert.match(wrongSts.stderr, /SignatureDoesNotMatch/);
    });
  }

  it('boto3: signed with the root key it works; a wrong secret gets SignatureDoesNotMatch', { skip: hasBoto3() ? false : 'boto3 is not installed' }, async () => {
    const script = `
import boto3, sys, json
from botocore.config import Config
def client(svc, secret):
    return boto3.client(svc, endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=sys.argv[2], aws_secret_access_key=secret, config=Config(retries={'max_attempts': 1}))
out = {'arn': client('sts', sys.argv[3]).get_caller_identity()['Arn'], 'clusters': client('ecs', sys.argv[3]).list_clusters()['clusterArns']}
try:
    client('sts', 'wrong').get_caller_identity()
except Exception as e:
    out['wrong'] = e.response['Error']['Code']
print(json.dumps(out))
`;
    const r = await run('python3', ['-c', script, server!.url, key.id, key.secret], env(key.id, key.secret));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { arn: 'arn:aws:iam::000000000000:root', clusters: [], wrong: 'SignatureDoesNotMatch' });
  });
});

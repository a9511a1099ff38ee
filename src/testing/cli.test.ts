// The real AWS CLI v1 (`aws`) and v2 (/usr/bin/aws) against a real `berth server` child process,
// running the commands a user would type, verbatim, and asserting on their parsed JSON output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnBerth, type ChildServer } from './child-server.js';
import { AWS_CLI_V2, requireAwsCliV1, requireAwsCliV2, type Requirement } from './requirements.js';

const WEB_JSON = '{"containerDefinitions":[{"name":"nginx","image":"nginx","portMappings":[{"containerPort":80,"hostPort":80}],"memory":50,"cpu":102}],"family":"web"}';

interface Cli { run(args: string[], extraEnv?: Record<string, string>): Promise<Record<string, unknown>> }

/** A CLI in a clean environment: only these credentials and region, empty config files, no pager. */
function cli(command: string, dir: string, endpoint: () => string, accessKeyId: string): Cli {
  const config = join(dir, 'config');
  const creds = join(dir, 'credentials');
  writeFileSync(config, '');
  writeFileSync(creds, '');
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) base[k] = v;
  Object.assign(base, {
    AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: creds, AWS_PAGER: '', AWS_DEFAULT_OUTPUT: 'json',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  return {
    run(args, extraEnv = {}) {
      const argv = extraEnv.AWS_ENDPOINT_URL ? args : ['--endpoint-url', endpoint(), ...args];
      return new Promise((resolve, reject) => {
        execFile(command, argv, { cwd: dir, env: { ...base, ...extraEnv }, timeout: 60_000 }, (err, stdout, stderr) => {
          if (err) { reject(new Error(`${command} ${args.join(' ')} failed (${err.code}): ${stderr || stdout}`)); return; }
          try { resolve(stdout.trim() ? JSON.parse(stdout) as Record<string, unknown> : {}); } catch {
            reject(new Error(`${command} ${args.join(' ')} printed no JSON: ${stdout}`));
          }
        });
      });
    },
  };
}

// Loose views of the CLI's JSON output, for assertions.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function cliSuite(label: string, command: string, requirement: () => Requirement, account: string) {
  let req: Requirement;
  // Under CI=true a missing CLI is a failing test, not a skip.
  try { req = requirement(); } catch (err) { describe(label, () => { it('is installed', () => { throw err; }); }); return; }
  describe(label, req, () => {
    let server: ChildServer | undefined;
    let dir: string;
    let aws: Cli;
    const arn = (resource: string) => `arn:aws:ecs:us-east-1:${account}:${resource}`;
    before(async () => {
      server = await spawnBerth({ store: 'memory://' });
      dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
      writeFileSync(join(dir, 'web.json'), WEB_JSON);
      aws = cli(command, dir, () => server!.url, account);
    });
    after(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates, lists and describes a cluster', async () => {
      const created: Json = await aws.run(['ecs', 'create-cluster', '--cluster-name', 'deepdive']);
      assert.equal(created.cluster.clusterName, 'deepdive');
      assert.equal(created.cluster.clusterArn, arn('cluster/deepdive'));
      assert.equal(created.cluster.status, 'ACTIVE');

      const listed: Json = await aws.run(['ecs', 'list-clusters']);
      assert.deepEqual(listed.clusterArns, [arn('cluster/deepdive')]);

      const described: Json = await aws.run(['ecs', 'describe-clusters', '--clusters', 'deepdive']);
      assert.equal(described.clusters.length, 1);
      assert.equal(described.clusters[0].clusterArn, arn('cluster/deepdive'));
      assert.equal(described.clusters[0].status, 'ACTIVE');
      assert.equal(described.clusters[0].registeredContainerInstancesCount, 0);
      assert.equal(described.clusters[0].runningTasksCount, 0);
      assert.deepEqual(described.failures, []);
    });

    it('registers a task definition twice from --cli-input-json file://web.json', async () => {
      for (const revision of [1, 2]) {
        const out: Json = await aws.run(['ecs', 'register-task-definition', '--cli-input-json', 'file://web.json']);
        const td = out.taskDefinition;
        assert.equal(td.taskDefinitionArn, arn(`task-definition/web:${revision}`));
        assert.equal(td.family, 'web');
        assert.equal(td.revision, revision);
        assert.equal(td.status, 'ACTIVE');
        assert.equal(td.containerDefinitions.length, 1);
        const c = td.containerDefinitions[0];
        assert.equal(c.name, 'nginx');
        assert.equal(c.image, 'nginx');
        assert.equal(c.memory, 50);
        assert.equal(c.cpu, 102);
        assert.equal(c.essential, true);
        assert.deepEqual(c.portMappings, [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }]);
      }
    });

    it('lists families and task definitions, describes by revision and by family', async () => {
      const families: Json = await aws.run(['ecs', 'list-task-definition-families']);
      assert.deepEqual(families.families, ['web']);
      const defs: Json = await aws.run(['ecs', 'list-task-definitions']);
      assert.deepEqual(defs.taskDefinitionArns, [arn('task-definition/web:1'), arn('task-definition/web:2')]);
      const one: Json = await aws.run(['ecs', 'describe-task-definition', '--task-definition', 'web:1']);
      assert.equal(one.taskDefinition.taskDefinitionArn, arn('task-definition/web:1'));
      assert.equal(one.taskDefinition.revision, 1);
      const latest: Json = await aws.run(['ecs', 'describe-task-definition', '--task-definition', 'web']);
      assert.equal(latest.taskDefinition.revision, 2);
      assert.equal(latest.taskDefinition.containerDefinitions[0].name, 'nginx');
    });

    it('deregisters web:2: INACTIVE, no longer listed or the latest', async () => {
      const out: Json = await aws.run(['ecs', 'deregister-task-definition', '--task-definition', 'web:2']);
      assert.equal(out.taskDefinition.taskDefinitionArn, arn('task-definition/web:2'));
      assert.equal(out.taskDefinition.status, 'INACTIVE');
      const defs: Json = await aws.run(['ecs', 'list-task-definitions']);
      assert.deepEqual(defs.taskDefinitionArns, [arn('task-definition/web:1')]);
      const latest: Json = await aws.run(['ecs', 'describe-task-definition', '--task-definition', 'web']);
      assert.equal(latest.taskDefinition.revision, 1);
    });

    it('lists no container instances, then deletes the cluster (INACTIVE, still listed while describable)', async () => {
      const instances: Json = await aws.run(['ecs', 'list-container-instances', '--cluster', 'deepdive']);
      assert.deepEqual(instances.containerInstanceArns, []);
      const deleted: Json = await aws.run(['ecs', 'delete-cluster', '--cluster', 'deepdive']);
      assert.equal(deleted.cluster.clusterArn, arn('cluster/deepdive'));
      assert.equal(deleted.cluster.status, 'INACTIVE');
      const listed: Json = await aws.run(['ecs', 'list-clusters']);
      assert.deepEqual(listed.clusterArns, [arn('cluster/deepdive')]);
    });

    it('answers sts get-caller-identity with the account of the access key', async () => {
      const id: Json = await aws.run(['sts', 'get-caller-identity']);
      assert.equal(id.Account, account);
      assert.equal(id.Arn, `arn:aws:iam::${account}:root`);
      assert.equal(id.UserId, account);
    });

    it('reports an AWS error code for an unknown cluster', async () => {
      await assert.rejects(aws.run(['ecs', 'delete-cluster', '--cluster', 'nope']), /ClusterNotFoundException/);
    });

    if (command === 'aws') {
      it('honours AWS_ENDPOINT_URL instead of --endpoint-url', async () => {
        const id: Json = await aws.run(['sts', 'get-caller-identity'], { AWS_ENDPOINT_URL: server!.url });
        assert.equal(id.Account, account);
      });
    }
  });
}

// Two accounts (12-digit access keys), one per CLI: each suite sees only its own resources.
cliSuite('AWS CLI v1 (aws)', 'aws', requireAwsCliV1, '111111111111');
cliSuite(`AWS CLI v2 (${AWS_CLI_V2})`, AWS_CLI_V2, requireAwsCliV2, '222222222222');

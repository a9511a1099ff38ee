// The issue's walkthrough through the real tools: `aws ecr create-repository`, `aws ecr
// get-login-password | docker login`, `docker build`/`tag`/`push` of an image built here,
// `docker rmi`, then an ECS task using the repositoryUri runs on a Berth agent with the docker
// runtime (the agent pulled it with its ECR token); list-images/describe-images show it; an
// IMMUTABLE repository refuses a re-push of a tag; a lifecycle policy keeping 2 images expires the
// older ones; a wrong token is refused; a missing image fails the task with CannotPullContainerError.
// Docker's credentials go to a temp DOCKER_CONFIG, never the user's ~/.docker.
import { CreateClusterCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { CreateRepositoryCommand, ECRClient, ListImagesCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../agent/agent.js';
import { VERSION } from '../../server/berth.js';
import { removeContainersOf } from '../../testing/docker-fixture.js';
import { eventually } from '../../testing/eventually.js';
import { credentials, startHarness, type Harness } from '../../testing/harness.js';
import { AWS_CLI_V2, requireAwsCliV2, requireTestImage, TEST_IMAGE } from '../../testing/requirements.js';

const SERVER_IP = '127.0.60.2';
const AGENT_IP = '127.0.60.3';

function requirements() {
  const image = requireTestImage();
  return image.skip ? image : requireAwsCliV2();
}

describe('ECR walkthrough with the aws and docker CLIs', requirements(), () => {
  let h: Harness;
  let agent: Agent;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let registry: string;
  const images: string[] = [];

  // Asynchronous: the server runs in this process and must keep answering while a CLI waits on it.
  const run = (cmd: string, args: string[], input?: string) => new Promise<{ ok: boolean; out: string; stdout: string }>((resolve) => {
    const child = spawn(cmd, args, { env, cwd: dir, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', (err) => resolve({ ok: false, out: err.message, stdout }));
    child.on('close', (code) => resolve({ ok: code === 0, out: stdout + stderr, stdout }));
    child.stdin.end(input ?? '');
  });
  const must = async (cmd: string, args: string[], input?: string) => {
    const r = await run(cmd, args, input);
    if (!r.ok) throw new Error(`${cmd} ${args.join(' ')}: ${r.out}`);
    return r.stdout;
  };
  const aws = async <T = Record<string, unknown>>(...args: string[]) =>
    JSON.parse(await must(AWS_CLI_V2, ['--endpoint-url', h.url, '--output', 'json', ...args]) || '{}') as T;
  /** Builds a tiny image whose /marker holds `text`, tagged `ref`. */
  const build = async (ref: string, text: string) => {
    writeFileSync(join(dir, 'marker'), `${text}\n`);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nCOPY marker /marker\nCMD ["cat", "/marker"]\n`);
    images.push((await must('docker', ['build', '-q', '-t', ref, dir])).trim());
  };

  before(async () => {
    h = await startHarness({ host: SERVER_IP, config: { ecs: { acs: { heartbeatMs: 500 } }, ecr: { lifecycleIntervalSeconds: 0, gcIntervalSeconds: 0 } } });
    dir = mkdtempSync(join(tmpdir(), 'berth-ecr-walk-'));
    const base: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('DOCKER_CONFIG')) base[key] = value;
    writeFileSync(join(dir, 'aws-config'), '');
    env = { ...base, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: join(dir, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-config'), AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true', DOCKER_CONFIG: join(dir, 'docker'), DOCKER_BUILDKIT: '0' };
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'ecr' }));
    agent = await Agent.start({ endpoint: h.url, cluster: 'ecr', runtime: 'docker', ip: AGENT_IP, version: VERSION,
      stateDir: join(dir, 'agent'), log: (l) => { if (process.env.ECR_DEBUG) console.log(l); }, backoffMs: [50, 1000] });
  });

  after(async () => {
    await agent?.stop();
    if (agent) removeContainersOf(agent.instanceArn);
    if (images.length) await run('docker', ['rmi', '-f', ...images]);
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runTask = async (image: string): Promise<Task> => {
    const family = `ecr-${images.length}-${Date.now()}`;
    const td = await h.ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image, memory: 32 }] }));
    const out = await h.ecs.send(new RunTaskCommand({ cluster: 'ecr', taskDefinition: td.taskDefinition!.taskDefinitionArn! }));
    const arn = out.tasks![0].taskArn!;
    return eventually(`task of ${image} STOPPED`, async () => {
      const t = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'ecr', tasks: [arn] }))).tasks![0];
      return t.lastStatus === 'STOPPED' && t;
    }, 60_000);
  };

  it('logs in, pushes an image built here, and an ECS task runs it after docker rmi', async () => {
    const repo = (await aws<{ repository: { repositoryUri: string } }>('ecr', 'create-repository', '--repository-name', 'walk/app')).repository;
    registry = repo.repositoryUri.split('/')[0];
    assert.equal(registry, new URL(h.url).host);
    const password = await must(AWS_CLI_V2, ['--endpoint-url', h.url, 'ecr', 'get-login-password']);
    assert.match(await must('docker', ['login', '--username', 'AWS', '--password-stdin', registry], password), /Login Succeeded/);

    const ref = `${repo.repositoryUri}:v1`;
    await build(ref, 'pushed through berth ecr');
    assert.ok((await run('docker', ['push', ref])).ok, 'docker push');
    await must('docker', ['rmi', ref]);
    assert.equal((await run('docker', ['image', 'inspect', ref])).ok, false);

    const task = await runTask(ref);
    assert.equal(task.containers![0].exitCode, 0, `task stopped: ${task.stoppedReason} ${task.containers![0].reason ?? ''}`);
    assert.ok((await run('docker', ['image', 'inspect', ref])).ok, 'the agent pulled the image');

    const listed = await aws<{ imageIds: { imageTag?: string }[] }>('ecr', 'list-images', '--repository-name', 'walk/app');
    assert.deepEqual(listed.imageIds.map((i) => i.imageTag), ['v1']);
    const details = await aws<{ imageDetails: { imageTags: string[]; imageSizeInBytes: number; imagePushedAt: unknown }[] }>('ecr', 'describe-images', '--repository-name', 'walk/app');
    assert.deepEqual(details.imageDetails[0].imageTags, ['v1']);
    assert.ok(details.imageDetails[0].imageSizeInBytes > 0);
    assert.ok(details.imageDetails[0].imagePushedAt);
  });

  it('a task whose image is not in the registry stops with CannotPullContainerError', async () => {
    const task = await runTask(`${registry}/walk/app:absent`);
    assert.match(task.containers![0].reason ?? task.stoppedReason ?? '', /^CannotPullContainerError: .*(not found|manifest unknown)/);
  });

  it('IMMUTABLE refuses a re-push of the tag; a lifecycle policy keeping 2 images expires the older', async () => {
    // (The SDK from here on: each aws CLI start costs seconds on a loaded machine.)
    const ecr = new ECRClient({ endpoint: h.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'walk/frozen', imageTagMutability: 'IMMUTABLE' }));
    await build(`${registry}/walk/frozen:v1`, 'first');
    assert.ok((await run('docker', ['push', `${registry}/walk/frozen:v1`])).ok);
    await build(`${registry}/walk/frozen:v1`, 'second');
    const again = await run('docker', ['push', `${registry}/walk/frozen:v1`]);
    assert.equal(again.ok, false);
    assert.match(again.out, /tag invalid|cannot be overwritten because the repository is immutable/);

    for (const tag of ['one', 'two', 'three']) {
      await build(`${registry}/walk/app:${tag}`, tag);
      assert.ok((await run('docker', ['push', `${registry}/walk/app:${tag}`])).ok);
    }
    const rules = { rules: [{ rulePriority: 1, description: 'keep the two newest images', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } }] };
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'walk/app', lifecyclePolicyText: JSON.stringify(rules) }));
    assert.equal(await h.berth.services.ecr.applyLifecyclePolicies(), 2);
    const left = await ecr.send(new ListImagesCommand({ repositoryName: 'walk/app' }));
    assert.deepEqual(left.imageIds?.map((i) => i.imageTag).sort(), ['three', 'two']);
    ecr.destroy();
  });

  it('a wrong token is refused by docker login', async () => {
    const wrong = await run('docker', ['login', '--username', 'AWS', '--password-stdin', registry], 'not-a-token');
    assert.equal(wrong.ok, false);
    assert.match(wrong.out, /401 Unauthorized/);
  });
});

// Lifecycle policies: the rules as pure functions (priorities, tag prefixes and patterns, count and
// age), validation errors, preview, and application by the service's worker.
import {
  CreateRepositoryCommand, DeleteLifecyclePolicyCommand, GetLifecyclePolicyCommand, GetLifecyclePolicyPreviewCommand,
  ListImagesCommand, PutLifecyclePolicyCommand, StartLifecyclePolicyPreviewCommand,
} from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEcrKit, type EcrKit } from '../../testing/ecr-kit.js';
import { evaluate, parsePolicy, type Rule } from './lifecycle-rules.js';
import type { ImageRecord } from './model.js';

const DAY = 86_400_000;
const T = Date.parse('2026-11-30T12:00:00Z');
const image = (digest: string, tags: string[], daysAgo: number): ImageRecord => ({
  repositoryName: 'r', digest, mediaType: 'm', manifest: '{}', tags, blobs: [], children: [], sizeInBytes: 1,
  pushedAt: new Date(T - daysAgo * DAY).toISOString(),
});
const policy = (...rules: Partial<Rule['selection']>[]) => JSON.stringify({
  rules: rules.map((selection, i) => ({ rulePriority: i + 1, description: `rule ${i + 1} of a test policy`, selection, action: { type: 'expire' } })),
});
const expired = (text: string, images: ImageRecord[]) => evaluate(parsePolicy(text), images, new Date(T)).map((e) => `${e.image.digest}@${e.rulePriority}`);

describe('lifecycle rules', () => {
  const images = [
    image('prod-new', ['prod-3'], 1), image('prod-mid', ['prod-2'], 5), image('prod-old', ['prod-1'], 30),
    image('dev-1', ['dev-1', 'rc-1'], 2), image('untagged-new', [], 1), image('untagged-old', [], 20),
  ];

  it('keeps the N newest matches of a tagged rule; later rules do not see what earlier ones matched', () => {
    const text = policy({ tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 2 },
      { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 });
    // prod-old is expired by rule 1; rule 2 sees dev-1 and the untagged images, keeps the newest (untagged-new).
    assert.deepEqual(expired(text, images), ['prod-old@1', 'dev-1@2', 'untagged-old@2']);
  });

  it('expires by age; patterns need every pattern to match some tag', () => {
    assert.deepEqual(expired(policy({ tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }), images), ['untagged-old@1']);
    assert.deepEqual(expired(policy({ tagStatus: 'tagged', tagPatternList: ['dev-*', 'rc*'], countType: 'imageCountMoreThan', countNumber: 0 + 1 }), [...images, image('dev-2', ['dev-2', 'rc-2'], 3)]),
      ['dev-2@1']);
  });

  it('rejects invalid policies with the reason', () => {
    const bad = [
      'not json at all, but long enough to pass the length check of a lifecycle policy text for sure......',
      policy({ tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }),
      policy({ tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }),
      policy({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }),
      policy({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 0 }),
    ];
    for (const text of bad) assert.throws(() => parsePolicy(text), (err: Error) => err.name === 'InvalidParameterException' && /Lifecycle policy validation failure/.test(err.message), text);
  });
});

describe('ECR lifecycle policies', () => {
  let k: EcrKit;
  before(async () => { k = await startEcrKit(); });
  after(async () => { await k.close(); });
  beforeEach(async () => {
    await k.h.reset();
    await k.ecr.send(new CreateRepositoryCommand({ repositoryName: 'lc' }));
  });

  const keepTwo = policy({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 });

  it('previews, then the worker expires all but the 2 newest images', async () => {
    for (const tag of ['a', 'b', 'c', 'd']) {
      await k.pushImage('lc', tag, [Buffer.from(`layer ${tag}`)]);
      k.clock.t += 60_000;
    }
    await assert.rejects(k.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'lc' })), { name: 'LifecyclePolicyNotFoundException' });
    await assert.rejects(k.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lc', lifecyclePolicyText: '{"rules":[]}' })), { name: 'InvalidParameterException' });
    const started = await k.ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'lc', lifecyclePolicyText: keepTwo }));
    assert.equal(started.status, 'IN_PROGRESS');
    const preview = await k.ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'lc' }));
    assert.equal(preview.status, 'COMPLETE');
    assert.deepEqual(preview.previewResults?.map((r) => [r.imageTags, r.appliedRulePriority, r.action?.type]), [[['b'], 1, 'EXPIRE'], [['a'], 1, 'EXPIRE']]);
    assert.equal(preview.summary?.expiringImageTotalCount, 2);
    // A preview expires nothing.
    assert.equal((await k.ecr.send(new ListImagesCommand({ repositoryName: 'lc' }))).imageIds?.length, 4);

    await k.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lc', lifecyclePolicyText: keepTwo }));
    assert.equal(await k.h.berth.services.ecr.applyLifecyclePolicies(), 2);
    assert.deepEqual((await k.ecr.send(new ListImagesCommand({ repositoryName: 'lc' }))).imageIds?.map((i) => i.imageTag).sort(), ['c', 'd']);
    assert.ok((await k.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'lc' }))).lastEvaluatedAt);
    // Unreferenced layers go at the next GC: 2 layers (the configs differ by tag: 2 more).
    assert.equal((await k.h.berth.services.ecr.collectGarbage()).blobsRemoved, 4);

    await k.ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName: 'lc' }));
    await k.pushImage('lc', 'e', [Buffer.from('layer e')]);
    assert.equal(await k.h.berth.services.ecr.applyLifecyclePolicies(), 0);
  });
});

// The compiled awsJson writer answers exactly what the SDK's serializer does: for every operation
// of the awsJson services' SDK clients, generated outputs (members present, null, absent, extra
// keys, timestamps as ISO strings, epoch numbers, Dates and garbage, NaN and Infinity, values of
// the wrong type) give the same bytes, or the same error, either way.
import * as applicationAutoScaling from '@aws-sdk/client-application-auto-scaling';
import * as logs from '@aws-sdk/client-cloudwatch-logs';
import * as ecr from '@aws-sdk/client-ecr';
import * as ecs from '@aws-sdk/client-ecs';
import { NormalizedSchema } from '@smithy/core/schema';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serializeWithSdk } from './json.js';
import { outputWriter, writeOutput } from './json-writer.js';
import type { OperationSchema } from './types.js';

const CLIENTS: Record<string, Record<string, unknown>> = { ecs, ecr, logs, applicationAutoScaling };

const operations = (client: Record<string, unknown>) => Object.entries(client)
  .filter(([name, v]) => name.endsWith('$') && Array.isArray(v) && v[0] === 9) as Array<[string, OperationSchema]>;

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(random: () => number, wrongTypes: boolean) {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const wrong = () => pick<unknown>(['text', 42, true, [1], { a: 1 }, new Date(0)]);
  const gen = (ns: NormalizedSchema, depth: number): unknown => {
    if (wrongTypes && random() < 0.03) return wrong();
    if (ns.isStructSchema()) {
      if (depth > 5) return {};
      const out: Record<string, unknown> = { internalOnly: 'not a member' };
      for (const [name, member] of ns.structIterator()) {
        const r = random();
        if (r < 0.15) continue;
        out[name] = r < 0.25 ? null : gen(member, depth + 1);
      }
      return out;
    }
    if (ns.isListSchema()) {
      if (depth > 5) return [];
      return Array.from({ length: Math.floor(random() * 4) }, () => (random() < 0.1 ? null : gen(ns.getValueSchema(), depth + 1)));
    }
    if (ns.isMapSchema()) {
      if (depth > 5) return {};
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 4); i > 0; i--) out[pick(['k', '1', 'key two', 'é'])] = random() < 0.1 ? null : gen(ns.getValueSchema(), depth + 1);
      return out;
    }
    if (ns.isTimestampSchema()) {
      return pick<unknown>(['2026-12-01T05:19:12.345Z', '2026-12-01T05:19:12Z', 1764566352.5, 1764566352, new Date(1764566352123), 'not a date']);
    }
    if (ns.isStringSchema()) return pick(['', 'web', 'arn:aws:ecs:us-east-1:000000000000:task/c/1', 'quote " and \\ and \u2028']);
    if (ns.isNumericSchema()) return pick([0, 1, -7, 2.5, 1e21, NaN, Infinity, -Infinity]);
    if (ns.isBooleanSchema()) return random() < 0.5;
    if (ns.isBlobSchema()) return new Uint8Array([1, 2, 3]);
    if (ns.isDocumentSchema()) return pick<unknown>([{ a: [1, 'b', null, { c: NaN }] }, 'text', 3, null, [true], { d: new Date(0) }, [1, undefined], { e: 2n }]);
    return undefined;
  };
  return gen;
}

/** The JSON text, or the error, a path gives. */
const outcome = (f: () => string | undefined) => {
  try { return { text: f() }; } catch (err) { return { error: `${(err as Error).name}: ${(err as Error).message}` }; }
};

describe('compiled awsJson output writer', () => {
  for (const [clientName, client] of Object.entries(CLIENTS)) {
    it(`matches the SDK serializer on every ${clientName} operation's output`, () => {
      let compiledOps = 0;
      let fastAnswers = 0;
      for (const [name, op] of operations(client)) {
        if (outputWriter(op)) compiledOps++;
        const root = NormalizedSchema.of(op[5] as never);
        for (let seed = 0; seed < 40; seed++) {
          const value = generator(rng(seed * 7919 + name.length), seed % 4 === 3)(root, 0);
          const fast = outcome(() => writeOutput(op, value));
          const sdk = outcome(() => serializeWithSdk(value, op));
          if (fast.text !== undefined) {
            fastAnswers++;
            assert.equal(fast.text, sdk.text, `${name} seed ${seed}: ${JSON.stringify(value)?.slice(0, 300)}`);
          }
          assert.equal(fast.error, undefined, `${name}: writeOutput never throws`);
        }
      }
      assert.ok(compiledOps > 0 && fastAnswers > 0, `${clientName}: the compiled path ran (${compiledOps} operations, ${fastAnswers} answers)`);
    });
  }

  it('compiles the ECS reads, and leaves values of the wrong type to the SDK path', () => {
    for (const op of ['DescribeTaskDefinition$', 'ListTaskDefinitions$', 'DescribeServices$', 'DescribeTasks$', 'DescribeClusters$', 'ListTasks$']) {
      assert.ok(outputWriter(ecs[op as keyof typeof ecs] as unknown as OperationSchema), op);
    }
    const op = ecs.ListTasks$ as unknown as OperationSchema;
    assert.equal(writeOutput(op, { taskArns: ['a', 'b'], nextToken: 't' }), '{"taskArns":["a","b"],"nextToken":"t"}');
    // A struct given as a list: the SDK writes {} for it; the compiled path steps aside.
    const describe = ecs.DescribeTasks$ as unknown as OperationSchema;
    assert.equal(writeOutput(describe, { tasks: [['x']] }), undefined);
    assert.equal(serializeWithSdk({ tasks: [['x']] }, describe), '{"tasks":[{}]}');
    // Timestamps from records (ISO strings) come out as epoch seconds.
    assert.equal(writeOutput(describe, { tasks: [{ createdAt: '2026-12-01T00:00:00.500Z' }] }), '{"tasks":[{"createdAt":1796083200.5}]}');
  });
});

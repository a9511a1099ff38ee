// A compiled writer for awsJson outputs: what reviveTimestamps + JsonShapeSerializer produce
// (json.ts), in one pass over the value with the schema walked once per operation instead of on
// every response. The SDK's serializer re-normalizes each schema node it meets (NormalizedSchema,
// member iterators, trait merges) and reviveTimestamps copies the whole output first: on a
// 2-core machine that was most of a read's cost in the gateway.
//
// Only plain schemas are compiled: structures and unions, lists, maps, strings, numbers, booleans,
// timestamps (epoch-seconds or date-time) and documents of plain JSON data. An operation whose
// output reaches anything else (blobs, big numbers, sparse collections, media-typed or idempotency-token
// strings, http-date timestamps) keeps the SDK path. A value of a type its schema does not expect
// (a number where a string belongs…) abandons the fast path for that response, and the SDK path
// answers it as before: the result is the same bytes either way (json-writer.test.ts compares
// them for every operation of every awsJson service).
import { NormalizedSchema } from '@smithy/core/schema';
import type { OperationSchema } from './types.js';

/** JSON-ready output for a value, or throws Mismatch. */
type Write = (value: unknown) => unknown;

class Mismatch extends Error {}
const mismatch = new Mismatch('value does not match its schema');

/** A schema node the compiled writer does not handle: the operation keeps the SDK path. */
class Unsupported extends Error {}

const compiled = new WeakMap<object, Write | null>();

/** The compiled writer of an operation's output, or undefined when its schema is not plain. */
export function outputWriter(op: OperationSchema): ((output: unknown) => string) | undefined {
  let write = compiled.get(op);
  if (write === undefined) {
    try {
      const root = NormalizedSchema.of(op[5] as never);
      if (!root.isStructSchema()) throw new Unsupported();
      write = compileNode(root, new Map());
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      write = null;
    }
    compiled.set(op, write);
  }
  if (!write) return undefined;
  const w = write;
  return (output) => JSON.stringify(w(output));
}

/** JSON text of `output`, or undefined when the value leaves the compiled path (the caller uses
 *  the SDK serializer, which answers those cases exactly as it always has). */
export function writeOutput(op: OperationSchema, output: unknown): string | undefined {
  const write = outputWriter(op);
  if (!write) return undefined;
  try {
    return write(output);
  } catch {
    // Mismatch, or a value the SDK path fails on too (an invalid date): let it decide.
    return undefined;
  }
}

type Structs = Map<unknown, { write?: Write }>;

function compileNode(ns: NormalizedSchema, structs: Structs): Write {
  const traits = ns.getMergedTraits() as Record<string, unknown>;
  // A union is written as a structure: its one member set (a union without one is {}, as the SDK
  // writes it once reviveTimestamps has dropped $unknown).
  if (ns.isStructSchema()) return compileStruct(ns, structs);
  if (ns.isListSchema()) {
    if (traits.sparse) throw new Unsupported();
    const item = compileNode(ns.getValueSchema(), structs);
    return (value) => {
      if (!Array.isArray(value)) throw mismatch;
      const out: unknown[] = [];
      for (const v of value) if (v !== null && v !== undefined) out.push(item(v));
      return out;
    };
  }
  if (ns.isMapSchema()) {
    if (traits.sparse) throw new Unsupported();
    const item = compileNode(ns.getValueSchema(), structs);
    return (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw mismatch;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === '__proto__') throw mismatch;
        if (v !== null && v !== undefined) out[k] = item(v);
      }
      return out;
    };
  }
  if (ns.isTimestampSchema()) return timestamp(ns.getSchema() as unknown as number);
  if (ns.isStringSchema()) {
    if (traits.mediaType || traits.idempotencyToken) throw new Unsupported();
    return (value) => { if (typeof value !== 'string') throw mismatch; return value; };
  }
  if (ns.isNumericSchema()) {
    return (value) => {
      if (typeof value !== 'number') throw mismatch;
      return Number.isFinite(value) ? value : String(value);
    };
  }
  if (ns.isBooleanSchema()) return (value) => { if (typeof value !== 'boolean') throw mismatch; return value; };
  if (ns.isDocumentSchema()) return document;
  throw new Unsupported();
}

/** A document of plain JSON data (what the SDK copies as is, NaN and ±Infinity as strings); Dates,
 *  byte arrays, big numbers, holes and undefined take the SDK path. */
function document(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw mismatch;
      out.push(document(value[i]));
    }
    return out;
  }
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) throw mismatch;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '__proto__' || v === undefined) throw mismatch;
    out[k] = document(v);
  }
  return out;
}

function compileStruct(ns: NormalizedSchema, structs: Structs): Write {
  // Recursive shapes: a structure met again while its members compile refers to its entry.
  const key = ns.getSchema();
  const known = structs.get(key);
  if (known) return (value) => known.write!(value);
  const entry: { write?: Write } = {};
  structs.set(key, entry);
  const members: Array<[string, Write]> = [];
  for (const [name, member] of ns.structIterator()) {
    if ((member.getMergedTraits() as Record<string, unknown>).idempotencyToken) throw new Unsupported();
    members.push([name, compileNode(member, structs)]);
  }
  entry.write = (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw mismatch;
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, write] of members) {
      const v = src[name];
      if (v !== undefined && v !== null) out[name] = write(v);
    }
    return out;
  };
  return entry.write;
}

/** awsJson with useTrait: date-time (5) and epoch-seconds (7, also the default for 4). */
function timestamp(schema: number): Write {
  const format = schema === 5 || schema === 6 || schema === 7 ? schema : 7;
  if (format === 6) throw new Unsupported();
  const toDate = (value: unknown): Date => {
    if (typeof value === 'string') return new Date(value);
    if (typeof value === 'number') return new Date(value * 1000);
    if (value instanceof Date) return value;
    throw mismatch;
  };
  return format === 7
    ? (value) => toDate(value).getTime() / 1000
    : (value) => toDate(value).toISOString().replace('.000Z', 'Z');
}

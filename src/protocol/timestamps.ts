// Records are stored as JSON, so their timestamps come back as ISO strings (or epoch numbers).
// Before serializing, turn every timestamp-typed member back into a Date, guided by the schema,
// so each protocol renders it in its own format (epoch seconds for JSON, ISO 8601 for XML).
import { NormalizedSchema } from '@smithy/core/schema';

export function reviveTimestamps(value: unknown, schema: unknown): unknown {
  return revive(value, NormalizedSchema.of(schema as never));
}

function revive(value: unknown, ns: NormalizedSchema): unknown {
  if (value === undefined || value === null) return value;
  if (ns.isTimestampSchema()) {
    if (typeof value === 'string') return new Date(value);
    if (typeof value === 'number') return new Date(value * 1000);
    return value;
  }
  if (ns.isStructSchema() && typeof value === 'object' && !Array.isArray(value)) {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, member] of ns.structIterator()) {
      if (src[name] !== undefined) out[name] = revive(src[name], member);
    }
    return out;
  }
  if (ns.isListSchema() && Array.isArray(value)) {
    const item = ns.getValueSchema();
    return value.map((v) => revive(v, item));
  }
  if (ns.isMapSchema() && typeof value === 'object') {
    const item = ns.getValueSchema();
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, revive(v, item)]));
  }
  return value;
}

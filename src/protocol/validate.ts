// Validation driven by the SDK's operation schemas (required members, types) and the enum sets
// generated from the service model. Runs on the parsed input before any handler sees it.
import { NormalizedSchema } from '@smithy/core/schema';
import { AwsError } from '../common/errors.js';

export interface ValidationCodes {
  /** Missing required member, value outside an enum. */
  invalid: string;
  /** A value of the wrong JSON type. */
  type: string;
}

export function validateInput(value: unknown, schema: unknown, enums: Record<string, string[]>, codes: ValidationCodes) {
  walk(value, NormalizedSchema.of(schema as never), '', enums, codes);
}

const describe = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

function walk(value: unknown, ns: NormalizedSchema, path: string, enums: Record<string, string[]>, codes: ValidationCodes): void {
  if (value === undefined || value === null) return;
  const at = path || 'input';
  const typeError = (expected: string) =>
    new AwsError(codes.type, `Invalid type for ${at}: expected ${expected} but got ${describe(value)}`);
  if (ns.isStructSchema() || ns.isUnionSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError('an object');
    const raw = ns.getSchema() as unknown as unknown[];
    const requiredCount = typeof raw[6] === 'number' ? raw[6] : 0;
    const structName = ns.getName() ?? '';
    let i = 0;
    for (const [member, memberSchema] of ns.structIterator()) {
      const v = (value as Record<string, unknown>)[member];
      const memberPath = path ? `${path}.${member}` : member;
      if (i++ < requiredCount && (v === undefined || v === null)) {
        throw new AwsError(codes.invalid, `${memberPath} is required and cannot be null`);
      }
      if (v === undefined || v === null) continue;
      const allowed = enums[`${structName}.${member}`];
      if (allowed && typeof v === 'string' && !allowed.includes(v)) {
        throw new AwsError(codes.invalid, `${memberPath} should be one of [${allowed.join(',')}]`);
      }
      const allowedItems = enums[`${structName}.${member}[]`];
      if (allowedItems && Array.isArray(v)) {
        const bad = v.find((x) => typeof x === 'string' && !allowedItems.includes(x));
        if (bad !== undefined) throw new AwsError(codes.invalid, `${memberPath} should be one of [${allowedItems.join(',')}], but was '${bad}'`);
      }
      walk(v, memberSchema, memberPath, enums, codes);
    }
  } else if (ns.isListSchema()) {
    if (!Array.isArray(value)) throw typeError('a list');
    const item = ns.getValueSchema();
    value.forEach((v, idx) => walk(v, item, `${at}[${idx}]`, enums, codes));
  } else if (ns.isMapSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError('a map');
    const item = ns.getValueSchema();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, item, `${at}.${k}`, enums, codes);
  } else if (ns.isTimestampSchema()) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw typeError('a timestamp');
  } else if (ns.isBooleanSchema()) {
    if (typeof value !== 'boolean') throw typeError('a boolean');
  } else if (ns.isNumericSchema()) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError('a number');
  } else if (ns.isStringSchema()) {
    if (typeof value !== 'string') throw typeError('a string');
  }
}

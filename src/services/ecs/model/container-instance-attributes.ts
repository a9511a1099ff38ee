// Container instance attributes: ECS's validation rules, the built-in attributes derived from the
// instance identity document, and the custom-attribute limit. Pure functions.
import type { Attribute } from '@aws-sdk/client-ecs';
import { AwsError } from '../../../common/errors.js';
import { invalidParameter } from './common.js';

/** 1–128 of letters, digits, hyphens, underscores, forward and back slashes, periods. */
const NAME = /^[a-zA-Z0-9_./\\-]{1,128}$/;
/** 1–128 of letters, digits, - _ . @ / \ : and spaces; no leading or trailing space. */
const VALUE = /^[a-zA-Z0-9_.@/\\: -]{1,128}$/;

/** "You can apply up to 10 custom attributes for each resource." */
export const MAX_CUSTOM_ATTRIBUTES = 10;
/** PutAttributes/DeleteAttributes: at most this many attributes in one call. */
export const MAX_ATTRIBUTES_PER_CALL = 10;

/** Names ECS and its agent own (built-ins and capabilities); the rest are custom. */
export const isBuiltInAttribute = (name: string) => name.startsWith('ecs.') || name.startsWith('com.amazonaws.ecs.');

/** Validates an attribute's name and (optional) value the way ECS does. */
export function checkAttribute(a: Attribute) {
  if (!a.name || !NAME.test(a.name)) {
    throw invalidParameter(`Invalid attribute name '${a.name ?? ''}': it must be 1 to 128 characters of letters, numbers, hyphens, underscores, forward slashes, back slashes or periods.`);
  }
  if (a.value !== undefined && (!VALUE.test(a.value) || a.value.trim() !== a.value)) {
    throw invalidParameter(`Invalid value '${a.value}' for attribute '${a.name}': it must be 1 to 128 characters of letters, numbers, hyphens, underscores, periods, at signs, forward slashes, back slashes, colons or spaces, and cannot start or end with a space.`);
  }
}

/** `current` with `changes` applied by name (a change replaces the attribute of the same name). */
export function mergeAttributes(current: Attribute[], changes: Attribute[]): Attribute[] {
  const out = new Map(current.map((a) => [a.name!, a]));
  for (const c of changes) out.set(c.name!, c.value === undefined ? { name: c.name } : { name: c.name, value: c.value });
  return [...out.values()];
}

/** AttributeLimitExceededException when `attributes` holds more custom attributes than ECS allows. */
export function checkCustomLimit(attributes: Attribute[], target: string) {
  const custom = attributes.filter((a) => !isBuiltInAttribute(a.name!)).length;
  if (custom > MAX_CUSTOM_ATTRIBUTES) {
    throw new AwsError('AttributeLimitExceededException',
      `Container instance ${target} would have ${custom} custom attributes; at most ${MAX_CUSTOM_ATTRIBUTES} are allowed.`);
  }
}

/** What an EC2 instance identity document tells about the instance (all optional). */
export interface Identity {
  instanceId?: string;
  availabilityZone?: string;
  instanceType?: string;
  imageId?: string;
  region?: string;
  architecture?: string;
}

/** Parses RegisterContainerInstance's instanceIdentityDocument (a JSON document). */
export function parseIdentity(doc: string | undefined): Identity {
  if (doc === undefined || doc.trim() === '') return {};
  let parsed: unknown;
  try { parsed = JSON.parse(doc); } catch {
    throw invalidParameter('instanceIdentityDocument is not a valid JSON document.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter('instanceIdentityDocument must be a JSON object.');
  }
  const src = parsed as Record<string, unknown>;
  const pick = (key: string) => (typeof src[key] === 'string' && src[key] !== '' ? src[key] as string : undefined);
  const identity: Identity = {
    instanceId: pick('instanceId'), availabilityZone: pick('availabilityZone'), instanceType: pick('instanceType'),
    imageId: pick('imageId'), region: pick('region'), architecture: pick('architecture'),
  };
  if (identity.instanceId !== undefined && !/^(i|mi)-[0-9a-f]{8,17}$/.test(identity.instanceId)) {
    throw invalidParameter(`instanceIdentityDocument: invalid instanceId '${identity.instanceId}'.`);
  }
  return identity;
}

/** The attributes ECS derives itself. Without an identity document the zone is `<region>a`. */
export function builtInAttributes(identity: Identity, region: string): Attribute[] {
  const out: Attribute[] = [
    { name: 'ecs.availability-zone', value: identity.availabilityZone ?? `${identity.region ?? region}a` },
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.cpu-architecture', value: identity.architecture ?? 'x86_64' },
  ];
  if (identity.instanceType) out.push({ name: 'ecs.instance-type', value: identity.instanceType });
  if (identity.imageId) out.push({ name: 'ecs.ami-id', value: identity.imageId });
  return out;
}

/** Built-ins a re-registration's identity document states explicitly (nothing defaulted). */
export function statedAttributes(identity: Identity): Attribute[] {
  const out: Attribute[] = [];
  if (identity.availabilityZone) out.push({ name: 'ecs.availability-zone', value: identity.availabilityZone });
  if (identity.architecture) out.push({ name: 'ecs.cpu-architecture', value: identity.architecture });
  if (identity.instanceType) out.push({ name: 'ecs.instance-type', value: identity.instanceType });
  if (identity.imageId) out.push({ name: 'ecs.ami-id', value: identity.imageId });
  return out;
}

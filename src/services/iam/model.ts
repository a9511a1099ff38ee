// IAM's records. IAM is global: keys are /iam/<account>/global/<kind>/<name>. A principal's record
// carries what authorizing it needs (attached policy ARNs, inline policies, groups, boundary,
// tags), so one read per principal answers "which policies apply". Access keys and STS sessions
// share one global index, /iam/_keys/<accessKeyId>, which is what the authenticate stage reads.
import type { Tag } from '@aws-sdk/client-iam';
import { AwsError } from '../../common/errors.js';
import type { Ids } from '../../common/ids.js';
import type { Store } from '../../store/types.js';

export const GLOBAL = 'global';
export const keyOf = (account: string, kind: Kind, name = '') => `/iam/${account}/${GLOBAL}/${kind}/${name}`;
export const ACCESS_KEY_PREFIX = '/iam/_keys/';
export const accessKeyKey = (id: string) => `${ACCESS_KEY_PREFIX}${id}`;

export type Kind = 'user' | 'group' | 'role' | 'policy' | 'instance-profile';

/** What users, groups and roles have in common: policies attached and inline. */
export interface PolicyHolder {
  /** Managed policy ARNs. */
  attached: string[];
  /** Inline policies: name → document (JSON text). */
  inline: Record<string, string>;
}

export interface UserRecord extends PolicyHolder {
  UserName: string; UserId: string; Arn: string; Path: string; CreateDate: string;
  Tags: Tag[]; PermissionsBoundary?: string; groups: string[]; accessKeys: string[];
}

export interface GroupRecord extends PolicyHolder {
  GroupName: string; GroupId: string; Arn: string; Path: string; CreateDate: string; members: string[];
}

export interface RoleRecord extends PolicyHolder {
  RoleName: string; RoleId: string; Arn: string; Path: string; CreateDate: string; AssumeRolePolicyDocument: string;
  Description?: string; MaxSessionDuration: number; Tags: Tag[]; PermissionsBoundary?: string; instanceProfiles: string[];
}

export interface PolicyVersionRecord { VersionId: string; Document: string; IsDefaultVersion: boolean; CreateDate: string }

export interface PolicyRecord {
  PolicyName: string; PolicyId: string; Arn: string; Path: string; Description?: string; CreateDate: string; UpdateDate: string;
  DefaultVersionId: string; AttachmentCount: number; PermissionsBoundaryUsageCount: number; Tags: Tag[];
  versions: PolicyVersionRecord[]; nextVersion: number;
}

export interface InstanceProfileRecord {
  InstanceProfileName: string; InstanceProfileId: string; Arn: string; Path: string; CreateDate: string; roles: string[]; Tags: Tag[];
}

/** An access key: a user's long-term key, or an STS session's temporary one. */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  account: string;
  principalArn: string;
  status: 'Active' | 'Inactive';
  createDate: string;
  /** Long-term keys: the user. */
  userName?: string;
  /** Temporary keys. */
  sessionToken?: string;
  expiration?: string;
  /** Assumed-role sessions: the role, session tags and the session policy (JSON text). */
  roleName?: string;
  sessionTags?: Tag[];
  sessionPolicy?: string;
  /** GetSessionToken sessions act as the user who asked. */
  sessionOf?: string;
}

export const noSuchEntity = (message: string) => new AwsError('NoSuchEntity', message, 404);
export const alreadyExists = (message: string) => new AwsError('EntityAlreadyExists', message, 409);
export const deleteConflict = (message: string) => new AwsError('DeleteConflict', message, 409);
export const invalidInput = (message: string) => new AwsError('InvalidInput', message, 400);
export const limitExceeded = (message: string) => new AwsError('LimitExceeded', message, 409);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** An IAM unique id: prefix (AIDA, AROA, AGPA, ANPA, AIPA, AKIA, ASIA) + base32 characters. */
export function iamId(ids: Ids, prefix: string, length = 17): string {
  let out = prefix;
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(ids.random() * 32)];
  return out;
}

export function newSecret(ids: Ids): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  const hex = ids.hex(80);
  for (let i = 0; i < 40; i++) out += chars[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % 64];
  return out;
}

export const normalizePath = (path: string | undefined) => path ?? '/';
export function checkPath(path: string) {
  if (!/^\/([\x21-\x7e]*\/)?$/.test(path) || path.length > 512) throw new AwsError('ValidationError', `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
}

export function checkName(kind: string, name: string | undefined, max = 64): string {
  if (!name || !/^[\w+=,.@-]+$/.test(name) || name.length > max) {
    throw new AwsError('ValidationError', `The specified value for ${kind} is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-`);
  }
  return name;
}

/** Typed get/put of IAM records over the store. */
export class IamStore {
  constructor(readonly store: Store) {}

  async get<T>(account: string, kind: Kind, name: string): Promise<{ value: T; revision: number } | undefined> {
    const kv = await this.store.get(keyOf(account, kind, name));
    return kv && { value: JSON.parse(kv.value) as T, revision: kv.modRevision };
  }

  async must<T>(account: string, kind: Kind, name: string, what: string): Promise<{ value: T; revision: number }> {
    const found = await this.get<T>(account, kind, name);
    if (!found) throw noSuchEntity(`The ${what} with name ${name} cannot be found.`);
    return found;
  }

  async list<T>(account: string, kind: Kind): Promise<T[]> {
    return (await this.store.list(keyOf(account, kind))).map((kv) => JSON.parse(kv.value) as T);
  }

  async create(account: string, kind: Kind, name: string, value: object, what: string): Promise<void> {
    if (!(await this.store.create(keyOf(account, kind, name), JSON.stringify(value)))) throw alreadyExists(`${what} with name ${name} already exists.`);
  }

  /** Read-modify-write with compare-and-swap, retried on conflict. */
  async update<T>(account: string, kind: Kind, name: string, what: string, change: (value: T) => T | void): Promise<T> {
    for (;;) {
      const { value, revision } = await this.must<T>(account, kind, name, what);
      const next = change(value) ?? value;
      if (await this.store.update(keyOf(account, kind, name), JSON.stringify(next), revision)) return next;
    }
  }

  async delete(account: string, kind: Kind, name: string): Promise<boolean> {
    return this.store.delete(keyOf(account, kind, name));
  }

  async accessKey(id: string): Promise<AccessKeyRecord | undefined> {
    const kv = await this.store.get(accessKeyKey(id));
    return kv && JSON.parse(kv.value) as AccessKeyRecord;
  }
}

/** A policy document as given: URL-decoded JSON, parsed to check it. */
export function parseDocument(text: string): void {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.', 400); }
  if (typeof doc !== 'object' || doc === null || !('Statement' in doc)) {
    throw new AwsError('MalformedPolicyDocument', 'Policy document must contain a Statement.', 400);
  }
}

export const tagsOf = (tags: Tag[] | undefined): Tag[] => tags ?? [];
export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const map = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) map.set(t.Key, t);
  if (map.size > 50) throw limitExceeded('The number of tags has reached the maximum limit.');
  return [...map.values()];
}

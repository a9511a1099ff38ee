// The root account's access key in strict mode: created on the first strict start, kept in the
// data directory (mode 0600), printed once; `berth credentials` prints it again.
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ACCOUNT } from '../common/arn.js';
import type { Credential } from '../services/context.js';

export const ROOT_CREDENTIALS_FILE = 'root-credentials.json';

export interface RootCredentials { accessKeyId: string; secretAccessKey: string; account: string }

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new root key: AKIA + 16 characters, a 40-character secret. */
export function newRootCredentials(account = DEFAULT_ACCOUNT): RootCredentials {
  const id = Array.from({ length: 16 }, () => ALPHANUM[randomInt(ALPHANUM.length)]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64').replace(/\+/g, 'x').replace(/\//g, 'y'), account };
}

export const rootCredentialsPath = (dataDir: string) => join(dataDir, ROOT_CREDENTIALS_FILE);

export function readRootCredentials(dataDir: string): RootCredentials | undefined {
  const path = rootCredentialsPath(dataDir);
  if (!existsSync(path)) return undefined;
  const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<RootCredentials>;
  if (!value.accessKeyId || !value.secretAccessKey || !value.account) throw new Error(`${path}: not a root credentials file`);
  return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey, account: value.account };
}

/** The stored root key, or a new one written 0600 (created: true). */
export function loadOrCreateRootCredentials(dataDir: string): { credentials: RootCredentials; created: boolean } {
  const existing = readRootCredentials(dataDir);
  if (existing) return { credentials: existing, created: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const credentials = newRootCredentials();
  const path = rootCredentialsPath(dataDir);
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { credentials, created: true };
}

export const rootCredential = (root: RootCredentials): Credential => ({
  accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey, account: root.account, principalArn: `arn:aws:iam::${root.account}:root`,
});

/** Shell lines for `eval "$(berth credentials)"`. */
export const credentialsText = (root: RootCredentials) =>
  `export AWS_ACCESS_KEY_ID=${root.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${root.secretAccessKey}\n# account ${root.account}`;

// The AWS CLIs as tests run them: a clean environment (these credentials, empty config files, no
// pager) and JSON output parsed.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function cliEnv(dir: string): NodeJS.ProcessEnv {
  writeFileSync(join(dir, 'config'), '');
  writeFileSync(join(dir, 'credentials'), '');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, AWS_ACCESS_KEY_ID: '123456789012', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PAGER: '', AWS_DEFAULT_OUTPUT: 'json',
    AWS_EC2_METADATA_DISABLED: 'true' };
}

export function runCli(cmd: string, url: string, env: NodeJS.ProcessEnv, args: string[]): Promise<Json> {
  return new Promise((resolve, reject) => {
    execFile(cmd, ['--endpoint-url', url, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || stdout}`)); return; }
      resolve(stdout.trim() ? JSON.parse(stdout) as Json : {});
    });
  });
}


// ARNs: arn:aws:<service>:<region>:<account>:<resource>.

/** The account of a caller whose access key is not a 12-digit account ID (open mode). */
export const DEFAULT_ACCOUNT = '000000000000';

export interface Arn { partition: string; service: string; region: string; account: string; resource: string }

export const arn = (service: string, region: string, account: string, resource: string) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;

export function parseArn(value: string): Arn | undefined {
  const m = /^arn:(aws[\w-]*):([\w-]+):([\w-]*):(\d{12}|):(.+)$/.exec(value);
  return m ? { partition: m[1], service: m[2], region: m[3], account: m[4], resource: m[5] } : undefined;
}

export const isArn = (value: string) => value.startsWith('arn:');

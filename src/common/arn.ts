// ARNs: arn:<partition>:<service>:<region>:<account>:<resource>. The partition follows the region,
// as AWS's partitions do (cn-* → aws-cn, us-gov-* → aws-us-gov, us-iso-* → aws-iso,
// us-isob-* → aws-iso-b, else aws).

/** The account of a caller whose access key is not a 12-digit account ID (open mode). */
export const DEFAULT_ACCOUNT = '000000000000';

export interface Arn { partition: string; service: string; region: string; account: string; resource: string }

/** AWS's region shape: a two-letter area, one or more words, a number (us-east-1,
 *  us-gov-west-1, cn-northwest-1, us-isob-east-1). Anything else never reaches an ARN. */
export const isRegion = (region: string) => /^[a-z]{2}(-[a-z]+){1,3}-\d{1,2}$/.test(region);

/** The partition a region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

export const arn = (service: string, region: string, account: string, resource: string) =>
  `arn:${partitionOf(region)}:${service}:${region}:${account}:${resource}`;

/** A global (region-less) ARN such as IAM's, in the partition of the caller's region. */
export const globalArn = (service: string, region: string, account: string, resource: string) =>
  `arn:${partitionOf(region)}:${service}::${account}:${resource}`;

/** The root principal of an account, in the partition of `region`. */
export const rootArn = (region: string, account: string) => globalArn('iam', region, account, 'root');

export function parseArn(value: string): Arn | undefined {
  const m = /^arn:(aws[\w-]*):([\w-]+):([\w-]*):(\d{12}|):(.+)$/.exec(value);
  return m ? { partition: m[1], service: m[2], region: m[3], account: m[4], resource: m[5] } : undefined;
}

export const isArn = (value: string) => value.startsWith('arn:');

// ECS account settings: the names (the SDK's SettingName enum), their values and AWS's defaults,
// principals, and the effective value of a setting for a principal (its own, else the account
// default set by the root user, else AWS's default). Other ECS files read settings through
// `effectiveSetting` (e.g. containerInsights for new clusters).
import type { Setting, SettingName } from '@aws-sdk/client-ecs';
import { rootArn as accountRootArn } from '../../../common/arn.js';
import type { RequestContext } from '../../context.js';
import { clientException, db, invalidParameter } from './common.js';

interface Definition {
  values: string[];
  /** AWS's value when neither the principal nor the account has set one. */
  fallback: string;
  /** Managed by AWS (GuardDuty): read-only through the ECS API. */
  awsManaged?: boolean;
  /** Only the account default can be set (root user / PutAccountSettingDefault). */
  rootOnly?: boolean;
  /** Only PutAccountSettingDefault can change it. */
  defaultOnly?: boolean;
}

const ON_OFF = ['enabled', 'disabled'];

/** The SDK's SettingName plus the names ECS documents that its model's enum lacks. */
export type AccountSettingName = SettingName | 'dualStackIPv6';
export const EXTRA_SETTING_NAMES = ['dualStackIPv6'] as const;

export const SETTINGS: Record<AccountSettingName, Definition> = {
  awsvpcTrunking: { values: ON_OFF, fallback: 'disabled' },
  containerInsights: { values: ['enabled', 'disabled', 'enhanced'], fallback: 'disabled' },
  containerInstanceLongArnFormat: { values: ON_OFF, fallback: 'enabled' },
  dualStackIPv6: { values: ON_OFF, fallback: 'disabled' },
  defaultLogDriverMode: { values: ['blocking', 'non-blocking'], fallback: 'non-blocking' },
  fargateEventWindows: { values: ON_OFF, fallback: 'disabled' },
  fargateFIPSMode: { values: ON_OFF, fallback: 'disabled', defaultOnly: true },
  fargateTaskRetirementWaitPeriod: { values: ['0', '7', '14'], fallback: '7', rootOnly: true },
  guardDutyActivate: { values: ['on', 'off'], fallback: 'off', awsManaged: true },
  serviceLongArnFormat: { values: ON_OFF, fallback: 'enabled' },
  tagResourceAuthorization: { values: ['on', 'off'], fallback: 'on' },
  taskLongArnFormat: { values: ON_OFF, fallback: 'enabled' },
};

export const SETTING_NAMES = (Object.keys(SETTINGS) as AccountSettingName[]).sort();

export const rootArn = (ctx: RequestContext) => accountRootArn(ctx.region, ctx.account);
export const isRoot = (principalArn: string) => /^arn:aws[\w-]*:iam::\d{12}:root$/.test(principalArn);
/** The SDK's type for a name its enum lacks (the wire carries any string). */
const wireName = (name: AccountSettingName) => name as SettingName;
const settingType = (name: AccountSettingName) => (SETTINGS[name].awsManaged ? 'aws_managed' : 'user');

/** The caller as a settings principal: an assumed role acts as its role. */
function caller(ctx: RequestContext): string {
  const m = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(ctx.principalArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : ctx.principalArn;
}

/** The principal a request is about: principalArn if given (root or that principal only), else the caller. */
export function principalOf(ctx: RequestContext, principalArn: string | undefined): string {
  const self = caller(ctx);
  if (principalArn === undefined || principalArn === '') return self;
  const m = /^arn:aws[\w-]*:iam::(\d{12}):(root|user\/.+|role\/.+)$/.exec(principalArn);
  if (!m) {
    throw invalidParameter(`principalArn must be the ARN of an IAM user, an IAM role or the root user: '${principalArn}'. `
      + 'Federated users use the account setting of the root user.');
  }
  if (m[1] !== ctx.account) throw invalidParameter(`principalArn '${principalArn}' is not in account ${ctx.account}.`);
  if (principalArn !== self && !isRoot(self)) {
    throw clientException(`Only the root user can view or change the account settings of another principal ('${principalArn}').`);
  }
  return principalArn;
}

/** Checks that `value` is valid for `name` and that the setting may be changed this way. */
export function checkWrite(name: AccountSettingName, value: string | undefined, principalArn: string, operation: 'put' | 'putDefault' | 'delete') {
  const def = SETTINGS[name];
  if (def.awsManaged) throw invalidParameter(`The ${name} account setting is managed by AWS and is read-only.`);
  if (def.defaultOnly && operation === 'put') throw invalidParameter(`The ${name} account setting can only be changed with PutAccountSettingDefault.`);
  if (def.rootOnly && !isRoot(principalArn)) {
    throw invalidParameter(`The ${name} account setting can only be set for the root user (the account default), not for '${principalArn}'.`);
  }
  if (value !== undefined && !def.values.includes(value)) {
    throw invalidParameter(`The value '${value}' is not valid for the ${name} account setting. Valid values: ${def.values.join(', ')}.`);
  }
}

export const settingKey = (principalArn: string, name: string) => `${principalArn}/${name}`;

export const explicitSetting = (name: AccountSettingName, value: string, principalArn: string): Setting =>
  ({ name: wireName(name), value, principalArn, type: settingType(name) });

/** The explicit settings of exactly this principal, by name. */
export async function explicitSettings(ctx: RequestContext, principalArn: string): Promise<Map<string, Setting>> {
  const listed = await db(ctx).accountSettings.list(ctx, `${principalArn}/`);
  return new Map(listed.filter((s) => s.principalArn === principalArn).map((s) => [s.name!, s]));
}

/** Effective settings of a principal: its own value, else the account default, else AWS's default. */
export async function effectiveSettings(ctx: RequestContext, principalArn: string): Promise<Setting[]> {
  const own = await explicitSettings(ctx, principalArn);
  const root = isRoot(principalArn) ? own : await explicitSettings(ctx, rootArn(ctx));
  return SETTING_NAMES.map((name) => ({
    name: wireName(name), principalArn, type: settingType(name),
    value: own.get(name)?.value ?? root.get(name)?.value ?? SETTINGS[name].fallback,
  }));
}

/** The effective value of one setting for the caller (or a given principal). */
export async function effectiveSetting(ctx: RequestContext, name: AccountSettingName, principalArn = caller(ctx)): Promise<string> {
  return (await effectiveSettings(ctx, principalArn)).find((s) => s.name === name)!.value!;
}

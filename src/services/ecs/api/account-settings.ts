// ECS account settings: PutAccountSetting (a principal's own setting), PutAccountSettingDefault
// (the account default, held by the root user), DeleteAccountSetting and ListAccountSettings
// (explicit or effective settings, filtered by name/value, paginated).
import type {
  DeleteAccountSettingRequest, DeleteAccountSettingResponse, ListAccountSettingsRequest, ListAccountSettingsResponse,
  PutAccountSettingDefaultRequest, PutAccountSettingDefaultResponse, PutAccountSettingRequest, PutAccountSettingResponse,
  Setting, SettingName,
} from '@aws-sdk/client-ecs';
import { paginate } from '../../../common/pagination.js';
import type { RequestContext } from '../../context.js';
import {
  checkWrite, effectiveSettings, explicitSetting, explicitSettings, principalOf, rootArn, settingKey,
} from '../model/account-settings-values.js';
import { db, invalidParameter } from '../model/common.js';

export async function putAccountSetting(input: PutAccountSettingRequest, ctx: RequestContext): Promise<PutAccountSettingResponse> {
  const principalArn = principalOf(ctx, input.principalArn);
  return { setting: await write(ctx, input.name!, input.value!, principalArn, 'put') };
}

export async function putAccountSettingDefault(input: PutAccountSettingDefaultRequest, ctx: RequestContext): Promise<PutAccountSettingDefaultResponse> {
  return { setting: await write(ctx, input.name!, input.value!, rootArn(ctx), 'putDefault') };
}

export async function deleteAccountSetting(input: DeleteAccountSettingRequest, ctx: RequestContext): Promise<DeleteAccountSettingResponse> {
  const name = input.name!;
  const principalArn = principalOf(ctx, input.principalArn);
  checkWrite(name, undefined, principalArn, 'delete');
  const records = db(ctx).accountSettings;
  for (;;) {
    const current = await records.getVersioned(ctx, settingKey(principalArn, name));
    if (!current) {
      // Nothing of its own to delete: answer with the value that applies to the principal.
      const applies = (await effectiveSettings(ctx, principalArn)).find((s) => s.name === name)!;
      return { setting: applies };
    }
    if (await records.delete(ctx, settingKey(principalArn, name), current.revision)) return { setting: current.value };
  }
}

export async function listAccountSettings(input: ListAccountSettingsRequest, ctx: RequestContext): Promise<ListAccountSettingsResponse> {
  if (input.value !== undefined && input.name === undefined) {
    throw invalidParameter('To filter account settings by value, you must also specify an account setting name.');
  }
  const principalArn = principalOf(ctx, input.principalArn);
  const all: Setting[] = input.effectiveSettings
    ? await effectiveSettings(ctx, principalArn)
    : [...(await explicitSettings(ctx, principalArn)).values()].sort((a, b) => (a.name! < b.name! ? -1 : 1));
  const matching = all.filter((s) => (input.name === undefined || s.name === input.name) && (input.value === undefined || s.value === input.value));
  const { page, nextToken } = paginate(matching, (s) => `/${s.name}`, input.maxResults, input.nextToken, { limit: 10 });
  return { settings: page, nextToken };
}

async function write(ctx: RequestContext, name: SettingName, value: string, principalArn: string, operation: 'put' | 'putDefault'): Promise<Setting> {
  checkWrite(name, value, principalArn, operation);
  const setting = explicitSetting(name, value, principalArn);
  await db(ctx).accountSettings.put(ctx, settingKey(principalArn, name), setting);
  return setting;
}

import {
  DeleteAccountSettingCommand, ListAccountSettingsCommand, PutAccountSettingCommand, PutAccountSettingDefaultCommand,
  type ListAccountSettingsRequest, type SettingName,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../../testing/harness.js';

const ROOT = 'arn:aws:iam::000000000000:root';
const ALICE = 'arn:aws:iam::000000000000:user/alice';
const BOB = 'arn:aws:iam::000000000000:role/bob';

describe('ECS account settings', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(async () => { await h.reset(); });

  const list = async (input: ListAccountSettingsRequest = {}) => (await h.ecs.send(new ListAccountSettingsCommand(input))).settings ?? [];
  const effective = async (principalArn?: string) =>
    Object.fromEntries((await listAll({ effectiveSettings: true, principalArn })).map((s) => [s.name, s.value]));
  async function listAll(input: ListAccountSettingsRequest) {
    const out = [];
    let nextToken: string | undefined;
    do {
      const page = await h.ecs.send(new ListAccountSettingsCommand({ ...input, nextToken }));
      out.push(...page.settings ?? []);
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  it("lists AWS's defaults as effective settings, paginated by 10", async () => {
    const first = await h.ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true }));
    assert.equal(first.settings?.length, 10);
    assert.ok(first.nextToken);
    const all = await listAll({ effectiveSettings: true });
    assert.equal(all.length, 12, 'the 11 of the SDK enum and dualStackIPv6');
    assert.deepEqual(all.find((s) => s.name === ('dualStackIPv6' as SettingName)), { name: 'dualStackIPv6', value: 'disabled', principalArn: ROOT, type: 'user' });
    assert.deepEqual(all.map((s) => s.name), [...all.map((s) => s.name)].sort());
    assert.deepEqual(all.find((s) => s.name === 'guardDutyActivate'), { name: 'guardDutyActivate', value: 'off', principalArn: ROOT, type: 'aws_managed' });
    assert.deepEqual(all.find((s) => s.name === 'containerInsights'), { name: 'containerInsights', value: 'disabled', principalArn: ROOT, type: 'user' });
    const e = await effective();
    assert.equal(e.serviceLongArnFormat, 'enabled');
    assert.equal(e.fargateTaskRetirementWaitPeriod, '7');
    assert.equal(e.tagResourceAuthorization, 'on');
    assert.equal(e.defaultLogDriverMode, 'non-blocking');
    assert.deepEqual(await list(), []);
  });

  it('resolves a principal: its own setting, else the account default, else AWS', async () => {
    const def = await h.ecs.send(new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'enhanced' }));
    assert.deepEqual(def.setting, { name: 'containerInsights', value: 'enhanced', principalArn: ROOT, type: 'user' });
    const own = await h.ecs.send(new PutAccountSettingCommand({ name: 'containerInsights', value: 'disabled', principalArn: ALICE }));
    assert.deepEqual(own.setting, { name: 'containerInsights', value: 'disabled', principalArn: ALICE, type: 'user' });
    await h.ecs.send(new PutAccountSettingCommand({ name: 'awsvpcTrunking', value: 'enabled' }));

    assert.equal((await effective(ALICE)).containerInsights, 'disabled');
    assert.equal((await effective(BOB)).containerInsights, 'enhanced');
    assert.equal((await effective(BOB)).awsvpcTrunking, 'enabled');
    assert.equal((await effective()).containerInsights, 'enhanced');
    assert.deepEqual(await list({ principalArn: ALICE }), [{ name: 'containerInsights', value: 'disabled', principalArn: ALICE, type: 'user' }]);
    assert.deepEqual((await list()).map((s) => s.name), ['awsvpcTrunking', 'containerInsights']);
    assert.deepEqual(await list({ name: 'containerInsights', value: 'enhanced' }),
      [{ name: 'containerInsights', value: 'enhanced', principalArn: ROOT, type: 'user' }]);
    assert.deepEqual(await list({ name: 'containerInsights', value: 'enabled' }), []);
    assert.deepEqual((await list({ effectiveSettings: true, principalArn: BOB, name: 'containerInsights' })).map((s) => [s.principalArn, s.value]),
      [[BOB, 'enhanced']]);

    const del = await h.ecs.send(new DeleteAccountSettingCommand({ name: 'containerInsights', principalArn: ALICE }));
    assert.deepEqual(del.setting, { name: 'containerInsights', value: 'disabled', principalArn: ALICE, type: 'user' });
    assert.equal((await effective(ALICE)).containerInsights, 'enhanced');
    await h.ecs.send(new DeleteAccountSettingCommand({ name: 'containerInsights' }));
    assert.equal((await effective(ALICE)).containerInsights, 'disabled');
  });

  it('sets the Fargate retirement wait period as the account default', async () => {
    const s = await h.ecs.send(new PutAccountSettingCommand({ name: 'fargateTaskRetirementWaitPeriod', value: '14' }));
    assert.deepEqual(s.setting, { name: 'fargateTaskRetirementWaitPeriod', value: '14', principalArn: ROOT, type: 'user' });
    assert.equal((await effective(ALICE)).fargateTaskRetirementWaitPeriod, '14');
    await h.ecs.send(new PutAccountSettingDefaultCommand({ name: 'fargateFIPSMode', value: 'enabled' }));
    assert.equal((await effective()).fargateFIPSMode, 'enabled');
  });

  it('rejects bad settings and changes nothing', async () => {
    await h.ecs.send(new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'enabled' }));
    const put = (name: string, value: string, principalArn?: string) =>
      h.ecs.send(new PutAccountSettingCommand({ name: name as SettingName, value, principalArn }));
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => put('containerInsights', 'maybe'), 'InvalidParameterException', /'maybe' is not valid for the containerInsights/],
      [() => h.ecs.send(new PutAccountSettingDefaultCommand({ name: 'awsvpcTrunking', value: 'on' })), 'InvalidParameterException', /Valid values: enabled, disabled/],
      [() => put('fargateTaskRetirementWaitPeriod', '3'), 'InvalidParameterException', /Valid values: 0, 7, 14/],
      [() => put('fargateTaskRetirementWaitPeriod', '14', ALICE), 'InvalidParameterException', /only be set for the root user/],
      [() => put('guardDutyActivate', 'on'), 'InvalidParameterException', /read-only/],
      [() => put('fargateFIPSMode', 'enabled'), 'InvalidParameterException', /PutAccountSettingDefault/],
      [() => put('dualStackIPv6', 'maybe'), 'InvalidParameterException', /Valid values: enabled, disabled/],
      [() => put('ipv6Everywhere', 'enabled'), 'InvalidParameterException', /name should be one of/],
      [() => put('containerInsights', 'enabled', 'arn:aws:iam::111122223333:user/eve'), 'InvalidParameterException', /not in account/],
      [() => put('containerInsights', 'enabled', 'arn:aws:sts::000000000000:assumed-role/r/s'), 'InvalidParameterException', /Federated/],
      [() => h.ecs.send(new DeleteAccountSettingCommand({ name: 'guardDutyActivate' })), 'InvalidParameterException', /read-only/],
      [() => list({ value: 'enabled' }), 'InvalidParameterException', /also specify an account setting name/],
      [() => list({ maxResults: 11 }), 'InvalidParameterException', /maxResults must be between 1 and 10/],
      [() => list({ nextToken: 'garbage!' }), 'InvalidParameterException', /Invalid nextToken/],
    ];
    for (const [call, name, message] of cases) await assert.rejects(call(), { name, message });
    assert.deepEqual(await listAll({}), [{ name: 'containerInsights', value: 'enabled', principalArn: ROOT, type: 'user' }]);
    assert.deepEqual(await listAll({ principalArn: ALICE }), []);
    const e = await effective();
    assert.equal(e.fargateTaskRetirementWaitPeriod, '7');
    assert.equal(e.guardDutyActivate, 'off');
    assert.equal(e.fargateFIPSMode, 'disabled');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentOptionsFromArgs } from './agent-args.js';
import { parseArgs } from './args.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const parse = (line: string) => agentOptionsFromArgs(parseArgs(line.split(' ')), '9.9.9');

describe('berth agent flags', () => {
  it('reads every flag, repeated attributes included', () => {
    const o = parse('agent --endpoint http://10.0.0.1:4566 --cluster prod --runtime simulated --ip 127.0.0.3 --instance-type c5.large --az eu-west-1b --attribute team=blue --attribute gpu --attribute k=a=b --state-dir /tmp/s');
    assert.deepEqual({ ...o, log: undefined }, {
      endpoint: 'http://10.0.0.1:4566', cluster: 'prod', runtime: 'simulated', ip: '127.0.0.3', instanceType: 'c5.large', cpu: undefined, memory: undefined,
      availabilityZone: 'eu-west-1b', attributes: { team: 'blue', gpu: '', k: 'a=b' }, stateDir: '/tmp/s', version: '9.9.9', log: undefined,
    });
    const sized = parse('agent --cluster c --cpu 2048 --memory 3800');
    assert.equal(sized.cpu, 2048);
    assert.equal(sized.memory, 3800);
    assert.equal(sized.runtime, 'docker');
    assert.equal(sized.ip, '127.0.0.1');
  });

  it('refuses what cannot work, saying why', () => {
    assert.equal(parse('agent --cluster c --telemetry-interval 500ms').telemetryPublishMs, 500);
    assert.equal(parse('agent --cluster c').telemetryPublishMs, undefined);
    assert.throws(() => parse('agent --cluster c --telemetry-interval soon'), /--telemetry-interval: invalid duration 'soon'/);
    assert.throws(() => parse('agent --ip 127.0.0.2'), /--cluster/);
    assert.throws(() => parse('agent --cluster c --runtime podman'), /docker or simulated, not 'podman'/);
    assert.throws(() => parse('agent --cluster c --instance-type z9.huge'), /unknown instance type 'z9.huge'/);
    assert.throws(() => parse('agent --cluster c --cpu 1024'), /both --cpu and --memory/);
    assert.throws(() => parse('agent --cluster c --cpu lots --memory 1'), /--cpu must be a positive integer/);
    assert.throws(() => parse('agent --cluster c --ip localhost'), /IPv4/);
  });

  it('reads --ca as a PEM file and --fence-standalone; refuses a missing or non-PEM CA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-ca-'));
    try {
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      writeFileSync(join(dir, 'ca.pem'), pem);
      writeFileSync(join(dir, 'not.pem'), 'hello');
      const o = parse(`agent --cluster c --ca ${join(dir, 'ca.pem')} --fence-standalone`);
      assert.deepEqual([o.ca, o.fenceStandalone], [pem, true]);
      assert.equal(parse('agent --cluster c').fenceStandalone, undefined);
      assert.throws(() => parse(`agent --cluster c --ca ${join(dir, 'missing.pem')}`), /--ca .*missing\.pem: ENOENT/);
      assert.throws(() => parse(`agent --cluster c --ca ${join(dir, 'not.pem')}`), /not a PEM certificate/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

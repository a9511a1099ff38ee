// Alarm state table tests: the two example tables of AWS's CloudWatch user guide ("Configuring
// how CloudWatch alarms treat missing data", awsdocs/amazon-cloudwatch-user-guide
// doc_source/AlarmThatSendsEmail.md), cell by cell: an evaluation range of 5 periods, oldest
// first (X breaching, 0 not breaching, - missing), for DatapointsToAlarm 3 of EvaluationPeriods 3
// and for 2 of 3. "Retain current state" is 'keep'.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateAlarm, type AlarmStateValue, type EvalSettings, type TreatMissing } from './alarm-eval.js';

const t0 = Date.parse('2026-11-30T12:00:00Z');
const range = (pattern: string) => pattern.split(' ').map((c, i) => ({ t: t0 + i * 60_000, value: c === 'X' ? 80 : c === '0' ? 20 : undefined }));
const settings = (treat: TreatMissing, n = 3, m = 3): EvalSettings =>
  ({ evaluationPeriods: n, datapointsToAlarm: m, threshold: 50, comparison: 'GreaterThanThreshold', treatMissingData: treat });

type Row = [string, string, string, string, string];
// [data points, MISSING, IGNORE, BREACHING, NOT BREACHING]
const threeOfThree: Row[] = [
  ['0 - X - X', 'OK', 'OK', 'OK', 'OK'],
  ['0 - - - -', 'OK', 'OK', 'OK', 'OK'],
  ['- - - - -', 'INSUFFICIENT_DATA', 'keep', 'ALARM', 'OK'],
  ['0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['- - - - X', 'INSUFFICIENT_DATA', 'keep', 'ALARM', 'OK'],
  ['X - - - -', 'ALARM', 'keep', 'ALARM', 'OK'],
];
const twoOfThree: Row[] = [
  ['0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
  ['- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
  ['- - - - X', 'INSUFFICIENT_DATA', 'keep', 'ALARM', 'OK'],
];

for (const [title, rows, m] of [['3 of 3', threeOfThree, 3], ['2 of 3', twoOfThree, 2]] as const) {
  describe(`alarm evaluation with missing data (${title}, AWS's table)`, () => {
    for (const [pattern, ...expected] of rows) {
      (['missing', 'ignore', 'breaching', 'notBreaching'] as const).forEach((treat, i) => {
        it(`${pattern} with ${treat} → ${expected[i]}`, () => {
          for (const current of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as AlarmStateValue[]) {
            const r = evaluateAlarm(range(pattern), settings(treat, 3, m), current);
            assert.equal(r?.state ?? 'keep', expected[i], `from ${current}`);
          }
        });
      });
    }
  });
}

describe('alarm evaluation: M out of N and reasons in AWS wording', () => {
  it('2 of 3 breaching datapoints alarm with DatapointsToAlarm 2', () => {
    const r = evaluateAlarm(range('0 0 X 0 X'), settings('missing', 3, 2), 'OK')!;
    assert.equal(r.state, 'ALARM');
    assert.equal(r.reason, 'Threshold Crossed: 2 out of the last 3 datapoints [80.0 (30/11/26 12:04:00), 20.0 (30/11/26 12:03:00), 80.0 (30/11/26 12:02:00)] were greater than the threshold (50.0) (minimum 2 datapoints for OK -> ALARM transition).');
  });

  it('one period: "1 datapoint [...] was greater than" / "was not greater than"', () => {
    const alarm = evaluateAlarm(range('X'), settings('missing', 1, 1), 'OK')!;
    assert.equal(alarm.reason, 'Threshold Crossed: 1 datapoint [80.0 (30/11/26 12:00:00)] was greater than the threshold (50.0).');
    const ok = evaluateAlarm(range('0'), settings('missing', 1, 1), 'ALARM')!;
    assert.equal(ok.state, 'OK');
    assert.equal(ok.reason, 'Threshold Crossed: 1 datapoint [20.0 (30/11/26 12:00:00)] was not greater than the threshold (50.0).');
  });

  it('each comparison operator', () => {
    const at = (comparison: EvalSettings['comparison'], v: number) =>
      evaluateAlarm([{ t: t0, value: v }], { ...settings('missing', 1, 1), comparison }, 'OK')!.state;
    assert.equal(at('GreaterThanOrEqualToThreshold', 50), 'ALARM');
    assert.equal(at('GreaterThanThreshold', 50), 'OK');
    assert.equal(at('LessThanThreshold', 49), 'ALARM');
    assert.equal(at('LessThanOrEqualToThreshold', 50), 'ALARM');
    assert.equal(at('LessThanThreshold', 50), 'OK');
  });

  it('insufficient data names the unknown datapoints', () => {
    assert.equal(evaluateAlarm(range('- - -'), settings('missing'), 'OK')!.reason, 'Insufficient Data: 3 datapoints were unknown.');
  });
});

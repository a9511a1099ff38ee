// Schedules of scheduled actions (at, rate, cron with a time zone) and the step-scaling
// arithmetic (step bounds above and below the threshold, AWS's rounding of percent changes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentChange, stepCapacity } from './scaler.js';
import { parseSchedule } from './schedule.js';

const t = (iso: string) => Date.parse(iso);

describe('scheduled-action schedules', () => {
  it('at() names a wall-clock time in the action\'s time zone and is due once', () => {
    const utc = parseSchedule('at(2026-12-01T09:00:00)');
    assert.equal(utc.due(t('2026-12-01T08:00:00Z'), t('2026-12-01T08:59:59Z'), 1), undefined);
    assert.equal(utc.due(t('2026-12-01T08:00:00Z'), t('2026-12-01T09:00:05Z'), 1), t('2026-12-01T09:00:00Z'));
    assert.equal(utc.due(t('2026-12-01T09:00:00Z'), t('2026-12-01T10:00:00Z'), 1), undefined, 'already run');
    // 09:00 in New York in winter (EST, UTC−5) and in summer (EDT, UTC−4).
    assert.equal(parseSchedule('at(2026-12-01T09:00:00)', 'America/New_York').due(0, t('2026-12-02T00:00:00Z'), 1), t('2026-12-01T14:00:00Z'));
    assert.equal(parseSchedule('at(2026-07-01T09:00:00)', 'America/New_York').due(0, t('2026-07-02T00:00:00Z'), 1), t('2026-07-01T13:00:00Z'));
  });

  it('rate() counts from the action\'s creation, faster at a time scale', () => {
    const created = t('2026-12-01T00:00:00Z');
    const every5 = parseSchedule('rate(5 minutes)', 'UTC', created);
    assert.equal(every5.due(created - 1, created + 4 * 60_000, 1), undefined);
    assert.equal(every5.due(created - 1, created + 11 * 60_000, 1), created + 10 * 60_000, 'the latest occurrence');
    assert.equal(every5.due(created + 10 * 60_000, created + 11 * 60_000, 1), undefined);
    assert.equal(every5.due(created - 1, created + 5_000, 60), created + 5_000, 'at 60× five minutes last five seconds');
    assert.throws(() => parseSchedule('rate(1 minutes)'), /Invalid rate expression/);
    assert.throws(() => parseSchedule('rate(5 minute)'), /Invalid rate expression/);
  });

  it('cron() with ranges, lists, steps and names, in a time zone', () => {
    // Weekdays at 08:30 in Paris (CET, UTC+1 in December).
    const weekday = parseSchedule('cron(30 8 ? * MON-FRI *)', 'Europe/Paris');
    assert.equal(weekday.due(t('2026-12-01T07:00:00Z'), t('2026-12-01T07:45:00Z'), 1), t('2026-12-01T07:30:00Z'), 'Tuesday 08:30 CET');
    assert.equal(weekday.due(t('2026-12-05T00:00:00Z'), t('2026-12-05T12:00:00Z'), 1), undefined, 'Saturday');
    const every15 = parseSchedule('cron(0/15 * * * ? *)');
    assert.equal(every15.due(t('2026-12-01T10:00:00Z'), t('2026-12-01T10:31:00Z'), 1), t('2026-12-01T10:30:00Z'));
    const firstOfMonth = parseSchedule('cron(0 0 1 JAN,JUL ? *)');
    assert.equal(firstOfMonth.due(t('2026-12-31T00:00:00Z'), t('2027-01-01T00:00:30Z'), 1), t('2027-01-01T00:00:00Z'));
    assert.equal(firstOfMonth.due(t('2027-01-31T00:00:00Z'), t('2027-02-01T00:00:30Z'), 1), undefined);
  });

  it('refuses what AWS refuses, with a ValidationException', () => {
    assert.throws(() => parseSchedule('sometimes'), (e: Error & { code?: string }) => e.code === 'ValidationException' && /Unsupported schedule expression/.test(e.message));
    assert.throws(() => parseSchedule('cron(0 8 1 * MON *)'), /either day-of-month or day-of-week/);
    assert.throws(() => parseSchedule('cron(61 8 * * ? *)'), /Invalid cron minutes value '61'/);
    assert.throws(() => parseSchedule('at(2026-12-01T09:00:00)', 'Mars/Olympus'), /Invalid timezone/);
  });
});

describe('step scaling arithmetic', () => {
  // Threshold 50: 50–60 → +1, 60 and more → +3; below: 40–50 → −1, under 40 → −2.
  const steps = {
    AdjustmentType: 'ChangeInCapacity' as const,
    StepAdjustments: [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
      { MetricIntervalLowerBound: -10, MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
      { MetricIntervalUpperBound: -10, ScalingAdjustment: -2 },
    ],
  };
  it('picks the step whose interval holds metric − threshold (lower bound inclusive above, upper bound inclusive below)', () => {
    assert.equal(stepCapacity(steps, 4, 0), 5);
    assert.equal(stepCapacity(steps, 4, 9.9), 5);
    assert.equal(stepCapacity(steps, 4, 10), 7);
    assert.equal(stepCapacity(steps, 4, -0.1), 3);
    assert.equal(stepCapacity(steps, 4, -5), 3);
    assert.equal(stepCapacity(steps, 4, -10), 2, 'below the threshold −10 falls in (−∞, −10], not in (−10, 0]');
    assert.equal(stepCapacity(steps, 4, -10.5), 2);
    assert.equal(stepCapacity({ AdjustmentType: 'ExactCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 6 }] }, 2, 3), 6);
    assert.equal(stepCapacity({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 5, ScalingAdjustment: 1 }] }, 2, 3), undefined);
  });

  it('rounds percent changes as AWS does: over 1 down, 0–1 to 1, −1–0 to −1, under −1 up; MinAdjustmentMagnitude', () => {
    assert.equal(percentChange(10, 25), 12, '+2.5 → +2');
    assert.equal(percentChange(2, 25), 3, '+0.5 → +1');
    assert.equal(percentChange(2, -25), 1, '−0.5 → −1');
    assert.equal(percentChange(15, -44.5), 9, '−6.675 → −6');
    assert.equal(percentChange(10, 10, 3), 13, '+1 raised to the minimum magnitude 3');
  });
});

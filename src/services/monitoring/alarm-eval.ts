// Alarm evaluation as a pure function: the datapoints of the evaluation range, the alarm's
// settings and its current state in; the new state with AWS's reason wording out.
//
// Rules (AWS "Evaluating an alarm" / "How CloudWatch alarms treat missing data", whose two
// example tables alarm-eval.test.ts holds cell by cell):
// - The evaluation range is N (EvaluationPeriods) plus a few earlier periods. M = DatapointsToAlarm.
// - At least N real datapoints in the range: the N most recent are evaluated and the missing-data
//   setting is not used. ALARM when at least M of them breach, OK otherwise.
// - Fewer: every real datapoint plus as few missing periods as make N. breaching / notBreaching
//   count those as breaching / not breaching. missing / ignore: none real → INSUFFICIENT_DATA /
//   keep the state; M breaching → ALARM; any real one not breaching → OK; only breaching ones,
//   fewer than M → ignore keeps the state, missing goes to ALARM when the metric stopped after
//   them (the newest period is empty) and to INSUFFICIENT_DATA otherwise.

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type Comparison = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold'
  | 'LessThanLowerOrGreaterThanUpperThreshold' | 'LessThanLowerThreshold' | 'GreaterThanUpperThreshold';
export type TreatMissing = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

export interface EvalSettings {
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: Comparison;
  treatMissingData: TreatMissing;
}

/** One period of the evaluation range, oldest first; value undefined when the period has no data. */
export interface PeriodPoint { t: number; value?: number }

export interface Evaluation { state: AlarmStateValue; reason: string; evaluated: PeriodPoint[] }

const WORDS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to', GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than', LessThanOrEqualToThreshold: 'less than or equal to',
};

export function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanOrEqualToThreshold': return value >= threshold;
    case 'GreaterThanThreshold': return value > threshold;
    case 'LessThanThreshold': return value < threshold;
    case 'LessThanOrEqualToThreshold': return value <= threshold;
    default: return false;
  }
}

/** A number as AWS prints it in reasons (Java's Double.toString for ordinary values: 75.0, 0.5). */
export const javaDouble = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));
/** dd/MM/yy HH:mm:ss in UTC, as in AWS's reasons. */
export function reasonDate(t: number) {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function reason(state: AlarmStateValue, used: PeriodPoint[], s: EvalSettings, transition: string | undefined): string {
  const listed = [...used].reverse().filter((p) => p.value !== undefined).map((p) => `${javaDouble(p.value!)} (${reasonDate(p.t)})`).join(', ');
  const word = WORDS[s.comparison] ?? 'outside';
  if (state === 'INSUFFICIENT_DATA') {
    return `Insufficient Data: ${used.length} datapoint${used.length === 1 ? ' was' : 's were'} unknown.`;
  }
  const shown = used.filter((p) => p.value !== undefined);
  const verb = state === 'ALARM' ? word : `not ${word}`;
  const head = used.length === 1 && shown.length === 1
    ? `1 datapoint [${listed}] was ${verb}`
    : `${state === 'ALARM' ? used.filter((p) => p.value !== undefined && breaches(p.value, s.comparison, s.threshold)).length : used.filter((p) => p.value === undefined || !breaches(p.value, s.comparison, s.threshold)).length} out of the last ${used.length} datapoints [${listed}] were ${verb}`;
  return `Threshold Crossed: ${head} the threshold (${javaDouble(s.threshold)})${transition ? ` (minimum ${s.datapointsToAlarm} datapoint${s.datapointsToAlarm === 1 ? '' : 's'} for ${transition} transition)` : ''}.`;
}

/** The state the alarm should be in, or undefined to keep the current one. `range` holds the
 *  evaluation range oldest first (N periods plus a few earlier ones). */
export function evaluateAlarm(range: PeriodPoint[], s: EvalSettings, current: AlarmStateValue): Evaluation | undefined {
  const n = s.evaluationPeriods;
  const m = Math.min(s.datapointsToAlarm, n);
  const treat = s.treatMissingData;
  const isBreach = (p: PeriodPoint) => p.value === undefined ? treat === 'breaching' : breaches(p.value, s.comparison, s.threshold);
  const present = range.filter((p) => p.value !== undefined);
  let used: PeriodPoint[];
  let state: AlarmStateValue;
  if (present.length >= n) {
    // Enough real datapoints: the N most recent are evaluated, the missing-data setting is not used.
    used = present.slice(-n);
    state = used.filter(isBreach).length >= m ? 'ALARM' : 'OK';
  } else {
    // Every real datapoint of the range, plus as few filled-in periods as make N (the most recent missing ones).
    const fills = new Set(range.filter((p) => p.value === undefined).slice(-(n - present.length)));
    used = range.filter((p) => p.value !== undefined || fills.has(p)).slice(-n);
    const breaching = used.filter(isBreach).length;
    if (treat === 'breaching' || treat === 'notBreaching') state = breaching >= m ? 'ALARM' : 'OK';
    else if (!present.length) {
      if (treat === 'ignore') return undefined;
      return { state: 'INSUFFICIENT_DATA', reason: reason('INSUFFICIENT_DATA', used, s, undefined), evaluated: used };
    } else if (breaching >= m) state = 'ALARM';
    else if (present.some((p) => !isBreach(p))) state = 'OK';
    // Only breaching datapoints, too few to alarm: ignore keeps the state; missing alarms when the
    // metric stopped after them (the range's newest period is empty), else lacks data.
    else if (treat === 'ignore') return undefined;
    else if (range.at(-1)?.value === undefined) state = 'ALARM';
    else return { state: 'INSUFFICIENT_DATA', reason: reason('INSUFFICIENT_DATA', used, s, undefined), evaluated: used };
  }
  const transition = state === 'ALARM' && (m > 1 || n > 1) ? `${current} -> ALARM` : undefined;
  return { state, reason: reason(state, used, s, transition), evaluated: used };
}

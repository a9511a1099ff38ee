// Alarm evaluation as a pure function: the datapoints of the evaluation range, the alarm's
// settings and its current state in; the new state with AWS's reason wording out.
//
// Rules (AWS "Evaluating an alarm" and "Configuring how alarms treat missing data"):
// - The alarm looks at the last EvaluationPeriods (N) periods; it goes to ALARM when at least
//   DatapointsToAlarm (M) of them breach, to OK otherwise.
// - breaching / notBreaching: a missing period counts as breaching / not breaching.
// - missing / ignore: the alarm uses the N most recent *present* datapoints of the evaluation
//   range (N plus a few earlier periods). None present: missing → INSUFFICIENT_DATA, ignore →
//   the state is kept. Fewer than N present, all of them breaching but fewer than M: the state
//   is kept (AWS avoids premature transitions while data is intermittent).

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
 *  evaluation range oldest first (at least N periods; extra earlier ones serve missing/ignore). */
export function evaluateAlarm(range: PeriodPoint[], s: EvalSettings, current: AlarmStateValue): Evaluation | undefined {
  const n = s.evaluationPeriods;
  const m = Math.min(s.datapointsToAlarm, n);
  const lastN = range.slice(-n);
  const isBreach = (p: PeriodPoint) => p.value === undefined ? s.treatMissingData === 'breaching' : breaches(p.value, s.comparison, s.threshold);
  let used: PeriodPoint[];
  if (s.treatMissingData === 'breaching' || s.treatMissingData === 'notBreaching') {
    used = lastN;
  } else {
    const present = range.filter((p) => p.value !== undefined).slice(-n);
    if (!present.length) {
      if (s.treatMissingData === 'ignore') return undefined;
      return { state: 'INSUFFICIENT_DATA', reason: reason('INSUFFICIENT_DATA', lastN, s, undefined), evaluated: lastN };
    }
    const breaching = present.filter(isBreach).length;
    if (present.length < n && breaching === present.length && breaching < m) return undefined;
    used = present;
  }
  const breaching = used.filter(isBreach).length;
  const state: AlarmStateValue = breaching >= m ? 'ALARM' : 'OK';
  const transition = state === 'ALARM' && (m > 1 || n > 1) ? `${current} -> ALARM` : undefined;
  return { state, reason: reason(state, used, s, transition), evaluated: used };
}

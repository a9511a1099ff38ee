// Alarm records and state changes. A change writes the alarm and its history item (per alarm and
// per region, both sorted by time) in one compare-and-swap transaction.
import type { MetricAlarm, StateValue } from '@aws-sdk/client-cloudwatch';
import type { Ids } from '../../common/ids.js';
import { Records, recordKey, type Scope } from '../../common/records.js';
import type { Op, Store } from '../../store/types.js';
import { tsKey } from './model.js';

type DateFields = 'AlarmConfigurationUpdatedTimestamp' | 'StateUpdatedTimestamp' | 'StateTransitionedTimestamp';
export type AlarmRecord = Omit<MetricAlarm, DateFields | 'OKActions' | 'AlarmActions' | 'InsufficientDataActions' | 'AlarmName'> & {
  AlarmName: string;
  AlarmConfigurationUpdatedTimestamp: string;
  StateUpdatedTimestamp: string;
  StateTransitionedTimestamp: string;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  tags: Record<string, string>;
};

export const alarmRecords = (store: Store) => new Records<AlarmRecord>(store, 'monitoring', 'alarm');
export const alarmKey = (scope: Scope, name: string) => recordKey('monitoring', scope, 'alarm', name);
/** Every alarm of every account and region, for the evaluator: one key per alarm, written and
 *  deleted with it (accounts are 12 digits, so '_index' is no account). */
export const ALARM_INDEX = '/monitoring/_index/alarm/';
export const alarmIndexKey = (scope: Scope, name: string) => `${ALARM_INDEX}${scope.account}/${scope.region}/${name}`;

export function historyOps(scope: Scope, ids: Ids, name: string, t: number, type: 'ConfigurationUpdate' | 'StateUpdate' | 'Action',
  summary: string, data: unknown): Op[] {
  const item = JSON.stringify({
    AlarmName: name, AlarmType: 'MetricAlarm', Timestamp: new Date(t).toISOString(), HistoryItemType: type, HistorySummary: summary,
    HistoryData: JSON.stringify(data),
  });
  const nonce = ids.hex(8);
  return [
    { type: 'put', key: recordKey('monitoring', scope, 'ahist', `${encodeURIComponent(name)}/${tsKey(t)}:${nonce}`), value: item },
    { type: 'put', key: recordKey('monitoring', scope, 'hist', `${tsKey(t)}:${nonce}`), value: item },
  ];
}

export interface StateChange { state: StateValue; reason: string; reasonData?: string }

/** Moves an alarm to a state (recording history); 'unchanged' when it already was in it and
 *  `force` is false. */
export async function changeState(store: Store, scope: Scope, ids: Ids, name: string, now: number, change: StateChange, force = false)
  : Promise<'changed' | 'unchanged' | 'not-found'> {
  const records = alarmRecords(store);
  for (let attempt = 0; attempt < 10; attempt++) {
    const a = await records.getVersioned(scope, name);
    if (!a) return 'not-found';
    const old = a.value.StateValue;
    if (old === change.state && !force) return 'unchanged';
    const iso = new Date(now).toISOString();
    const next: AlarmRecord = {
      ...a.value, StateValue: change.state, StateReason: change.reason, StateReasonData: change.reasonData, StateUpdatedTimestamp: iso,
      StateTransitionedTimestamp: old === change.state ? a.value.StateTransitionedTimestamp : iso,
    };
    const data = {
      version: '1.0',
      oldState: { stateValue: old, stateReason: a.value.StateReason },
      newState: { stateValue: change.state, stateReason: change.reason, ...(change.reasonData ? { stateReasonData: JSON.parse(change.reasonData) as unknown } : {}) },
    };
    const ops: Op[] = [
      { type: 'put', key: a.key, value: JSON.stringify(next) },
      ...historyOps(scope, ids, name, now, 'StateUpdate', `Alarm updated from ${old} to ${change.state}`, data),
    ];
    const { succeeded } = await store.txn([{ key: a.key, modRevision: a.revision }], ops);
    if (succeeded) return 'changed';
  }
  throw new Error(`alarm ${name}: state change kept conflicting`);
}

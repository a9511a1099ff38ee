// Index keys of task definitions, written in the same transaction as the revision or family
// record they describe (issue 8), so that "latest ACTIVE revision of a family" is one descending
// range read with limit 1 and the List calls push their limit down to the store:
//   task-definition-status/<status>/<family>!<revision, 10 digits>   every revision by status
//   task-definition-family-status/<ACTIVE|INACTIVE>/<family>         families with / without an
//                                                                    ACTIVE revision
// The `!` sorts below every character a family may have ([a-zA-Z0-9_-]), so keys of one status
// sort by family, then revision: ListTaskDefinitions' order.
import { recordKey, type Scope } from '../../../common/records.js';
import type { Op } from '../../../store/types.js';
import type { FamilyRecord } from './common.js';

export const statusIndexPrefix = (scope: Scope, status: string, familyPrefix = '') =>
  recordKey('ecs', scope, 'task-definition-status', `${status}/${familyPrefix}`);
export const statusIndexKey = (scope: Scope, status: string, family: string, revision: number) =>
  statusIndexPrefix(scope, status, `${family}!${String(revision).padStart(10, '0')}`);
export const familyStatusPrefix = (scope: Scope, status: 'ACTIVE' | 'INACTIVE', familyPrefix = '') =>
  recordKey('ecs', scope, 'task-definition-family-status', `${status}/${familyPrefix}`);

/** `<family>!<revision>` at the end of a status index key → its parts. */
export function parseStatusKey(key: string): { family: string; revision: number } | undefined {
  // What /([a-zA-Z0-9_-]+)!(\d{10})$/ matches, read backwards from the end: that regex, unanchored
  // at its start, retried the family run from every position of the key (a hot path: a
  // ListTaskDefinitions page parses 100 keys).
  const bang = key.length - 11;
  if (bang < 1 || key.charCodeAt(bang) !== 0x21 || !/^\d{10}$/.test(key.slice(bang + 1))) return undefined;
  let start = bang;
  while (start > 0 && FAMILY_CHAR.test(key[start - 1])) start--;
  return start < bang ? { family: key.slice(start, bang), revision: Number(key.slice(bang + 1)) } : undefined;
}
const FAMILY_CHAR = /^[a-zA-Z0-9_-]$/;

/** Ops moving a revision from one status to another (from undefined: registered). */
export function revisionStatusOps(scope: Scope, family: string, revision: number, from: string | undefined, to: string): Op[] {
  const ops: Op[] = [];
  if (from) ops.push({ type: 'delete', key: statusIndexKey(scope, from, family, revision) });
  ops.push({ type: 'put', key: statusIndexKey(scope, to, family, revision), value: '' });
  return ops;
}

/** The family record with its ACTIVE revision count moved by delta, and the family-status index ops. */
export function familyOps(scope: Scope, familyKey: string, record: FamilyRecord, delta: number): Op[] {
  const before = record.activeRevisions ?? 0;
  const after = Math.max(0, before + delta);
  const ops: Op[] = [{ type: 'put', key: familyKey, value: JSON.stringify({ ...record, activeRevisions: after }) }];
  if ((before > 0) !== (after > 0) || delta === 0) {
    const [now, was] = after > 0 ? ['ACTIVE', 'INACTIVE'] as const : ['INACTIVE', 'ACTIVE'] as const;
    ops.push({ type: 'put', key: familyStatusPrefix(scope, now, record.family), value: '' });
    ops.push({ type: 'delete', key: familyStatusPrefix(scope, was, record.family) });
  }
  return ops;
}

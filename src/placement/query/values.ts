// Typed values of the query language: registration dates, agent versions, task counts.

import type { DateInterval } from './ast.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})?)?$/;
const DAY_MS = 86_400_000;

/**
 * The formats ECS documents for registeredAt: 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z,
 * 2018-06-18T22:28:28 (UTC) and 2018-06-18. A date names its whole day and a time its whole
 * second, as the interval [start, end): `registeredAt == 2018-06-18` holds all day long and
 * `registeredAt < 2018-02-13` means before that day began.
 */
export function parseDate(text: string): DateInterval | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7);
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const utc = Date.UTC(...fields);
  const check = new Date(utc);
  // Date.UTC rolls 2018-02-30 over to March; a real date reads back the same.
  if (check.getUTCFullYear() !== fields[0] || check.getUTCMonth() !== fields[1] || check.getUTCDate() !== fields[2]
    || check.getUTCHours() !== fields[3] || check.getUTCMinutes() !== fields[4] || check.getUTCSeconds() !== fields[5]) {
    return undefined;
  }
  if (m[4] === undefined) return { start: utc, end: utc + DAY_MS };
  const zone = m[7];
  let offset = 0;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const [oh, om] = zone.slice(1).split(':').map(Number);
    if (oh > 23 || om > 59) return undefined;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  const start = utc - offset;
  return { start, end: start + 1000 };
}

/** An agent version (1.14.5) as its numeric parts; a leading "v" and a "-suffix" are ignored. */
export function parseVersion(text: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(?:[-+].*)?$/.exec(text.trim());
  return m ? m[1].split('.').map(Number) : undefined;
}

/** Compares versions part by part, missing parts counting as 0 (1.14 == 1.14.0). */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** A whole, non-negative number written in decimal digits. */
export function parseCount(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** An attribute value with `*` wildcards as an anchored pattern (`t2.*` → t2.micro, t2.large…). */
export function globPattern(text: string): RegExp {
  const body = text.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

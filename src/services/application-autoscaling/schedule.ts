// Scheduled-action schedules: at(yyyy-mm-ddThh:mm:ss), rate(N minute[s]|hour[s]|day[s]) and
// cron(minutes hours day-of-month month day-of-week year), in the action's Timezone (IANA name,
// default UTC). `due` answers the latest occurrence in (after, now], if any.
import { validation } from './model.js';

export interface Schedule { due(after: number, now: number, scale: number): number | undefined }

/** Wall-clock fields of an instant in a time zone. */
function fields(t: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
  }).formatToParts(new Date(t));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday')) + 1; // SUN = 1, as AWS's cron
  return { year: Number(get('year')), month: Number(get('month')), day: Number(get('day')), hour: Number(get('hour')), minute: Number(get('minute')), weekday };
}

/** The instant a wall-clock time in a zone names (searching the zone's offset). */
function instant(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const f = fields(guess, timeZone);
  const offset = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute) - Math.floor(guess / 60_000) * 60_000;
  return guess - offset;
}

const NAMES: Record<string, number> = {
  JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12,
  SUN: 1, MON: 2, TUE: 3, WED: 4, THU: 5, FRI: 6, SAT: 7,
};

function cronField(text: string, min: number, max: number, what: string): (v: number) => boolean {
  if (text === '*' || text === '?') return () => true;
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^([A-Z0-9]+|\*)(?:-([A-Z0-9]+))?(?:\/(\d+))?$/i.exec(part);
    if (!m) throw validation(`Unsupported cron ${what} field '${text}'`);
    const num = (s: string) => { const n = NAMES[s.toUpperCase()] ?? Number(s); if (!Number.isInteger(n) || n < min || n > max) throw validation(`Invalid cron ${what} value '${s}'`); return n; };
    const from = m[1] === '*' ? min : num(m[1]);
    const to = m[2] ? num(m[2]) : m[3] || m[1] === '*' ? max : from;
    const step = m[3] ? Number(m[3]) : 1;
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return (v) => allowed.has(v);
}

export function parseSchedule(schedule: string, timeZone = 'UTC', createdAt = 0): Schedule {
  try { new Intl.DateTimeFormat('en-US', { timeZone }); } catch { throw validation(`Invalid timezone ${timeZone}`); }
  let m = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(schedule);
  if (m) {
    const at = instant(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], timeZone);
    return { due: (after, now) => (at > after && at <= now ? at : undefined) };
  }
  m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (m) {
    const n = Number(m[1]);
    if (n < 1 || (n === 1) !== !m[2].endsWith('s')) throw validation(`Invalid rate expression ${schedule}: use 'rate(1 minute)' or 'rate(5 minutes)'`);
    const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[m[2].replace(/s$/, '') as 'minute' | 'hour' | 'day'];
    return {
      due: (after, now, scale) => {
        const every = (n * unit) / scale;
        const last = createdAt + Math.floor((now - createdAt) / every) * every;
        return last > after && last > createdAt ? last : undefined;
      },
    };
  }
  m = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(schedule);
  if (m) {
    const [minute, hour, dom, month, dow, year] = [
      cronField(m[1], 0, 59, 'minutes'), cronField(m[2], 0, 23, 'hours'), cronField(m[3], 1, 31, 'day-of-month'),
      cronField(m[4], 1, 12, 'month'), cronField(m[5], 1, 7, 'day-of-week'), cronField(m[6] ?? '*', 1970, 2199, 'year'),
    ];
    if (m[3] !== '?' && m[5] !== '?' && m[3] !== '*' && m[5] !== '*') throw validation('Specify either day-of-month or day-of-week in a cron expression, with ? in the other');
    return {
      due: (after, now) => {
        // Minute by minute back from now, at most a day (the scaler looks every few seconds).
        const end = Math.floor(now / 60_000) * 60_000;
        for (let t = end; t > after && t > end - 86_400_000; t -= 60_000) {
          const f = fields(t, timeZone);
          if (minute(f.minute) && hour(f.hour) && dom(f.day) && month(f.month) && dow(f.weekday) && year(f.year)) return t;
        }
        return undefined;
      },
    };
  }
  throw validation(`Unsupported schedule expression ${schedule}: use at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)`);
}

// Durations as flags take them (`--flag 5m`): a number of seconds, or with a unit s, m, h.

export function parseDurationSeconds(text: string, flag?: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new Error(`${flag ? `--${flag}: ` : ''}invalid duration '${text}': use seconds (300) or a unit (30s, 5m, 1h)`);
  const unit = (m[2] ?? 's').toLowerCase() as 'ms' | 's' | 'm' | 'h';
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit];
}

/** A --time-scale value: a positive factor (60 = a minute lasts a second). */
export function parseTimeScale(raw: string, flag = 'time-scale'): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag}: expected a positive number, got '${raw}'`);
  return n;
}

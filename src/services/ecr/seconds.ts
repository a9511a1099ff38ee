// A duration flag value: seconds, or a number with a unit s, m, h.
export function parseSeconds(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(text);
  if (!m) throw new Error(`--${flag}: invalid duration '${text}': use seconds (300) or a unit (30s, 5m, 1h)`);
  return Math.round(Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h']));
}

// The activity log: one line per meaningful event (a task changed state, a placement failed and
// why, a deployment started/completed/failed, an agent connected or was lost, a pull failed), on
// stdout by default. Every service logs through `app.log.info(event, fields)`; nothing else.
//
//   text: 2026-11-30T23:40:01.123Z info  task.running cluster=default task=1f0c… image="busybox"
//   json: {"time":"2026-11-30T23:40:01.123Z","level":"info","event":"task.running","cluster":"default",…}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'text' | 'json';
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

export interface ActivityLog {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface ActivityLogOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

/** A text value as it appears after `key=`: bare when it is a plain word, else JSON-quoted. */
const textValue = (v: string | number | boolean) => (typeof v === 'string' && !/^[\w.:/@+-]+$/.test(v) ? JSON.stringify(v) : String(v));

export function formatLine(format: LogFormat, time: Date, level: Exclude<LogLevel, 'off'>, event: string, fields: LogFields): string {
  const defined = Object.entries(fields).filter((e): e is [string, string | number | boolean] => e[1] !== undefined && e[1] !== null);
  if (format === 'json') return JSON.stringify({ time: time.toISOString(), level, event, ...Object.fromEntries(defined) });
  const rest = defined.map(([k, v]) => `${k}=${textValue(v)}`).join(' ');
  return `${time.toISOString()} ${level.padEnd(5)} ${event}${rest ? ` ${rest}` : ''}`;
}

/**
 * Lines to a stream, written together once the current turn of the event loop is over (or sooner,
 * past 64 KiB): stdout on a pipe or a file is written synchronously, one system call per write, and
 * a busy server logs a line per task state report, so one write per line cost it more than
 * handling the report. Whatever is still held when the process exits is written then.
 */
export function batchedLines(out: { write(chunk: string): unknown }, atExit: (flush: () => void) => void): (line: string) => void {
  let held = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (held === '') return;
    const text = held;
    held = '';
    out.write(text);
  };
  atExit(flush);
  return (line: string) => {
    held += `${line}\n`;
    if (held.length >= 65_536) flush();
    else if (!scheduled) { scheduled = true; setImmediate(flush); }
  };
}

/** Every activity log on stdout shares one batch (so their lines keep their order). */
let stdoutLines: ((line: string) => void) | undefined;

export function createActivityLog(options: ActivityLogOptions = {}): ActivityLog {
  const min = RANK[options.level ?? 'info'];
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => (stdoutLines ??= batchedLines(process.stdout, (f) => process.once('exit', f)))(line));
  const now = options.now ?? (() => new Date());
  const at = (level: Exclude<LogLevel, 'off'>) => (event: string, fields: LogFields = {}) => {
    if (RANK[level] >= min) write(formatLine(format, now(), level, event, fields));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Logs nothing (in-process servers in tests, unless they ask for a log). */
export const silentLog: ActivityLog = createActivityLog({ level: 'off' });

export function parseLogLevel(raw: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${raw}'`);
  return raw as LogLevel;
}

export function parseLogFormat(raw: string): LogFormat {
  if (raw !== 'text' && raw !== 'json') throw new Error(`--log-format must be text or json, not '${raw}'`);
  return raw;
}

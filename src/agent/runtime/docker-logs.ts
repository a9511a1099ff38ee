// Docker's log stream: for containers without a TTY, frames of [stream(1) 0 0 0 size(4, BE)]
// then `size` bytes; with timestamps=1 each line starts with an RFC 3339 nanosecond time and a
// space. A line longer than a frame arrives over several frames; lines end with '\n'.
import type { LogLine } from './types.js';

/** RFC 3339 (nanoseconds) → Docker's `since` query value, `<seconds>.<nanoseconds>`. */
export function toDockerSince(time: string): string {
  const { seconds, nanos } = splitTime(time);
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** An RFC 3339 time with up to nine fraction digits as whole seconds and nanoseconds. */
export function splitTime(time: string): { seconds: number; nanos: number } {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) throw new Error(`not an RFC 3339 time: ${time}`);
  return { seconds: Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

/** Nanoseconds since the epoch, for ordering times exactly. */
export const timeNanos = (time: string) => { const { seconds, nanos } = splitTime(time); return BigInt(seconds) * 1_000_000_000n + BigInt(nanos); };

export function demuxLogs(onLine: (line: LogLine) => void) {
  let buf: Buffer = Buffer.alloc(0);
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  let framed: boolean | undefined;
  const emit = (stream: 'stdout' | 'stderr', text: string) => {
    const all = partial[stream] + text;
    const lines = all.split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const line of lines) {
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      onLine({ stream, time: line.slice(0, sp), text: line.slice(sp + 1).replace(/\r$/, '') });
    }
  };
  return {
    push: (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      // A framed stream starts with 1 or 2 then three zero bytes; a TTY stream is plain text.
      if (framed === undefined) {
        if (buf.length < 4) return;
        framed = (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
      }
      if (!framed) { emit('stdout', buf.toString('utf8')); buf = Buffer.alloc(0); return; }
      while (buf.length >= 8) {
        const size = buf.readUInt32BE(4);
        if (buf.length < 8 + size) break;
        emit(buf[0] === 2 ? 'stderr' : 'stdout', buf.subarray(8, 8 + size).toString('utf8'));
        buf = buf.subarray(8 + size);
      }
    },
    end: () => {
      for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) { emit(stream, '\n'); }
    },
  };
}

// Parser of the simulated runtime's command language (documented at the top of simulated.ts).

export type Statement =
  | { op: 'sleep'; seconds: number }
  | { op: 'exit'; code: number }
  | { op: 'alloc'; mib: number }
  | { op: 'cpu'; units: number }
  | { op: 'trap-term' }
  | { op: 'noop' }
  | { op: 'serve'; text: string };

const SHELLS = new Set(['sh', '/bin/sh', 'ash', '/bin/ash', 'bash', '/bin/bash', '/usr/bin/bash']);
const NOOPS = new Set(['true', ':', 'echo', 'export', 'cd', 'set', 'printf']);

/** The program text of a container: entryPoint + command, unwrapping `sh -c SCRIPT`. */
export function programText(words: string[]): string {
  if (SHELLS.has(words[0]) && words[1] === '-c' && words.length >= 3) return words[2];
  return words.join(' ');
}

export function parseProgram(text: string): Statement[] {
  return text.split(/;|&&|\n/).map((s) => s.trim()).filter(Boolean).map(parseStatement);
}

function parseStatement(text: string): Statement {
  const words = text.split(/\s+/);
  const [head, arg] = words;
  switch (head) {
    case 'sleep': {
      if (arg === 'infinity') return { op: 'sleep', seconds: Infinity };
      const seconds = Number(arg);
      return Number.isFinite(seconds) && seconds >= 0 ? { op: 'sleep', seconds } : { op: 'serve', text };
    }
    case 'exit': {
      const code = arg === undefined ? 0 : Number(arg);
      return Number.isInteger(code) ? { op: 'exit', code: ((code % 256) + 256) % 256 } : { op: 'serve', text };
    }
    case 'alloc': {
      const mib = Number(arg);
      return Number.isFinite(mib) && mib >= 0 ? { op: 'alloc', mib } : { op: 'serve', text };
    }
    case 'cpu': {
      const units = Number(arg);
      return Number.isFinite(units) && units >= 0 ? { op: 'cpu', units } : { op: 'serve', text };
    }
    case 'trap':
      return words.some((w) => w === 'TERM' || w === 'SIGTERM' || w === '15') ? { op: 'trap-term' } : { op: 'noop' };
    case 'false':
      return { op: 'exit', code: 1 };
    default:
      return NOOPS.has(head) ? { op: 'noop' } : { op: 'serve', text };
  }
}

/** Whether a health check command passes (see the header comment). */
export function healthPasses(command: string[]): boolean {
  const words = command[0] === 'CMD-SHELL' || command[0] === 'CMD' ? command.slice(1) : command;
  const text = command[0] === 'CMD-SHELL' ? words.join(' ') : programText(words);
  if (/\bunhealthy\b/.test(text)) return false;
  const first = parseProgram(text).find((s) => s.op === 'exit');
  return !first || first.op !== 'exit' || first.code === 0;
}

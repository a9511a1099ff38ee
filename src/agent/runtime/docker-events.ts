// The engine's event stream (GET /events, line-delimited JSON), narrowed to the container events an
// agent acts on, reconnecting with backoff when the stream breaks (engine restart, socket error).
// Every connection asks for events `since` the last one seen (the first: since the subscription),
// so neither the time to connect nor a short outage loses anything; replays are de-duplicated.
import type { DockerClient } from './docker-api.js';
import type { RuntimeEvent } from './types.js';

const ACTIONS = ['start', 'die', 'oom', 'health_status', 'destroy'];
const FILTERS = JSON.stringify({ type: ['container'], event: ACTIONS });

export interface EventStreamOptions {
  /** First reconnect delay; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Told about every broken connection (the stream keeps retrying). */
  onError?: (err: Error) => void;
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
  time?: number;
  timeNano?: number;
}

/** Maps one engine event to a RuntimeEvent, or undefined for events Berth ignores. */
export function toRuntimeEvent(ev: DockerEvent): RuntimeEvent | undefined {
  if (ev.Type && ev.Type !== 'container') return undefined;
  const action = ev.Action ?? '';
  const id = ev.Actor?.ID ?? ev.id ?? '';
  const attrs = ev.Actor?.Attributes ?? {};
  const name = (attrs.name ?? '').replace(/^\//, '');
  if (action.startsWith('health_status')) {
    const status = action.slice(action.indexOf(':') + 1).trim();
    const health = status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : undefined;
    return { id, name, type: 'health', ...(health ? { health } : {}) };
  }
  if (action === 'die') {
    const code = Number(attrs.exitCode);
    return { id, name, type: 'die', ...(Number.isFinite(code) && attrs.exitCode !== undefined ? { exitCode: code } : {}) };
  }
  if (action === 'start' || action === 'oom' || action === 'destroy') return { id, name, type: action };
  return undefined;
}

export class DockerEventStream {
  private stopped = false;
  private abort?: AbortController;
  private lastNano = 0n;
  private seenAtLast = new Set<string>();
  private readonly subscribedAt = Date.now();
  private wake?: () => void;
  readonly done: Promise<void>;

  constructor(private readonly client: DockerClient, private readonly onEvent: (e: RuntimeEvent) => void,
    private readonly options: EventStreamOptions = {}) {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    const first = this.options.retryMs ?? 200;
    let delay = first;
    while (!this.stopped) {
      this.abort = new AbortController();
      const since = this.since();
      try {
        await this.client.stream('GET', '/events', {
          query: { filters: FILTERS, since }, signal: this.abort.signal,
        }, (obj) => this.handle(obj as DockerEvent), () => { delay = first; });
        if (!this.stopped) this.options.onError?.(new Error('the Docker engine ended the event stream'));
      } catch (err) {
        if (this.stopped) break;
        this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      delay = Math.min(delay * 2, this.options.maxRetryMs ?? 5000);
    }
  }

  /** Where a connection resumes: just before the last event seen, else the subscription time. */
  private since(): string {
    if (this.lastNano > 0n) {
      // timeNano went through a JSON double (±128 ns): step back 1 µs, the de-duplication covers it.
      const at = this.lastNano - 1000n;
      const s = at / 1_000_000_000n;
      const ns = at % 1_000_000_000n;
      return `${s}.${ns.toString().padStart(9, '0')}`;
    }
    return (this.subscribedAt / 1000).toFixed(3);
  }

  private handle(ev: DockerEvent): void {
    const nano = ev.timeNano !== undefined ? BigInt(ev.timeNano) : BigInt(ev.time ?? 0) * 1_000_000_000n;
    const key = `${ev.Actor?.ID ?? ev.id}|${ev.Action}`;
    if (nano < this.lastNano) return;
    if (nano === this.lastNano && nano > 0n) {
      if (this.seenAtLast.has(key)) return;
    } else {
      this.lastNano = nano;
      this.seenAtLast.clear();
    }
    this.seenAtLast.add(key);
    const event = toRuntimeEvent(ev);
    if (event) this.onEvent(event);
  }
}

// Retention: every sweep, each group with a retention deletes its streams' events older than it.
// Events of a stream sort by timestamp, so a sweep reads only the expired head of each stream.
import { recordKey } from '../../common/records.js';
import type { AppContext } from '../context.js';
import type { Worker } from '../types.js';
import type { LogsConfig } from './config.js';
import { DAY_MS, afterTime, type LogGroupRecord } from './model.js';

const BATCH = 500;

export class RetentionSweeper implements Worker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  swept = 0;

  private constructor(private readonly app: AppContext) {}

  static start(app: AppContext, config: LogsConfig) {
    const sweeper = new RetentionSweeper(app);
    if (config.retentionSweepSeconds > 0) {
      sweeper.timer = setInterval(() => { void sweeper.sweep(); }, config.retentionSweepSeconds * 1000);
      sweeper.timer.unref();
    }
    return sweeper;
  }

  /** One sweep over every account's groups; resolves the number of events deleted. */
  async sweep(): Promise<number> {
    if (this.running) { await this.running; return 0; }
    let deleted = 0;
    this.running = (async () => {
      const store = this.app.store;
      const now = this.app.clock.now().getTime();
      // Group records of every account and region: /logs/<acct>/<region>/group/<name>.
      let after: string | undefined;
      for (;;) {
        const page = await store.range('/logs/', { limit: BATCH, startAfter: after });
        const groups = page.kvs.filter((kv) => kv.key.split('/')[4] === 'group');
        for (const kv of groups) {
          const g = JSON.parse(kv.value) as LogGroupRecord;
          if (!g.retentionInDays) continue;
          const [, , account, region] = kv.key.split('/');
          deleted += await this.expire({ account, region }, g.logGroupName, now - g.retentionInDays * DAY_MS);
        }
        if (!page.more) break;
        after = page.kvs.at(-1)!.key;
        // Jump over this region's non-group keys: to just before its groups ('.' sorts before
        // '/'), or past the whole region when its groups are done.
        const [, , account, region, kind] = after.split('/');
        if (kind < 'group') after = `/logs/${account}/${region}/group.`;
        else if (kind > 'group') after = `/logs/${account}/${region}0`;
      }
    })();
    try { await this.running; } catch (err) { console.error('logs: retention sweep failed', err); } finally { this.running = undefined; }
    this.swept += deleted;
    return deleted;
  }

  private async expire(scope: { account: string; region: string }, group: string, cutoff: number) {
    const store = this.app.store;
    const streamKeys = await store.list(recordKey('logs', scope, 'stream', `${group}:`));
    let deleted = 0;
    for (const s of streamKeys) {
      const stream = s.key.slice(s.key.indexOf(`${group}:`) + group.length + 1);
      const prefix = recordKey('logs', scope, 'event', `${group}:${stream}:`);
      const limit = `${prefix}${afterTime(cutoff - 1)}`;
      for (;;) {
        const old = (await store.list(prefix, { limit: BATCH })).filter((kv) => kv.key < limit);
        if (!old.length) break;
        await store.txn([], old.map((kv) => ({ type: 'delete' as const, key: kv.key })));
        deleted += old.length;
        if (old.length < BATCH) break;
      }
    }
    return deleted;
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  stats() { return { logEventsExpired: this.swept }; }
}

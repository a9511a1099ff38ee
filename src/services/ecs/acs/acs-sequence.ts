// One increasing sequence number per container instance, shared by PayloadMessage `seqNum` and
// TaskManifestMessage `timeline` and kept across reconnects and server restarts: the agent ignores
// a manifest whose timeline is not above the highest number it has seen, so a counter that went
// back after a restart would make every later manifest a no-op.
// Numbers are reserved in blocks with one compare-and-swap write per block
// (`/ecs/<account>/<region>/acs-sequence/<cluster>/<id>` holds the block's end); a restart skips
// what was left of the block, which keeps the sequence increasing.
import { Records } from '../../../common/records.js';
import type { RequestContext } from '../../context.js';

interface Reserved { upTo: number }

export const SEQUENCE_BLOCK = 100;

export class AcsSequence {
  private next = 0;
  private limit = 0;
  private readonly records: Records<Reserved>;

  constructor(private readonly ctx: RequestContext, private readonly key: string, private readonly block = SEQUENCE_BLOCK) {
    this.records = new Records<Reserved>(ctx.app.store, 'ecs', 'acs-sequence');
  }

  /** The next number (callers serialise: a session allocates from its ordered chain). */
  async allocate(): Promise<number> {
    if (this.next >= this.limit) await this.reserve();
    return ++this.next;
  }

  private async reserve() {
    for (;;) {
      const current = await this.records.getVersioned(this.ctx, this.key);
      const from = Math.max(current?.value.upTo ?? 0, this.next);
      const upTo = from + this.block;
      const ok = current
        ? await this.records.put(this.ctx, this.key, { upTo }, current.revision)
        : await this.records.create(this.ctx, this.key, { upTo });
      if (ok) { this.next = from; this.limit = upTo; return; }
    }
  }
}

// Agent liveness on a store lease (model/liveness.ts, issue 8's done-when): while the agent talks,
// keep-alives hold its lease (no writes at all, none to the instance record); once the agent is
// killed, nothing keeps the lease alive and the instance shows agentConnected false one grace
// period after the agent was last heard — counted: zero heartbeat writes to its instance record.
import { CreateClusterCommand, DescribeContainerInstancesCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalStore } from '../../../store/local.js';
import { openMemoryStore } from '../../../store/memory.js';
import type { Store } from '../../../store/types.js';
import { TestAgent } from '../../../testing/acs-test-agent.js';
import { eventually } from '../../../testing/eventually.js';
import { startHarness, type Harness } from '../../../testing/harness.js';

const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const clock = { t: T0, now() { return new Date(this.t); } };
const GRACE = 30;

/** Counts what reaches the store: writes naming a key that contains `watched`, and keep-alives. */
function counting(store: LocalStore) {
  const seen = { writes: [] as string[], keepAlives: 0, watched: '\u0000' };
  const keysOf = (prop: string, args: unknown[]): string[] => {
    if (prop === 'txn') return (args[1] as { key: string }[]).map((o) => o.key);
    return ['create', 'update', 'delete'].includes(prop) ? [String(args[0])] : [];
  };
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        if (prop === 'keepAlive') seen.keepAlives++;
        seen.writes.push(...keysOf(String(prop), args).filter((k) => k.includes(seen.watched)));
        return fn(...args);
      };
    },
  });
  return { store: wrapped as Store, seen };
}

describe('agent liveness on a store lease', () => {
  let h: Harness;
  const local = openMemoryStore({ clock });
  const { store, seen } = counting(local);
  before(async () => {
    h = await startHarness({ clock, store, config: { ecs: { agentGraceSeconds: GRACE, acs: { touchMs: 1000, heartbeatMs: 60_000 } } } });
  });
  after(async () => { await h.close(); });

  const connected = async (agent: TestAgent) => (await h.ecs.send(new DescribeContainerInstancesCommand({
    cluster: 'live', containerInstances: [agent.instanceArn] }))).containerInstances![0].agentConnected;

  it('a killed agent shows disconnected after the grace period, with no heartbeat writes to its instance record', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'live' }));
    const agent = await TestAgent.register(h.ecs, { cluster: 'live' });
    const id = agent.instanceArn.split('/').pop()!;
    seen.watched = `/${id}`;
    const registered = seen.writes.length;
    await agent.connect();
    await eventually('the lease key', async () => (await local.list('/ecs/000000000000/us-east-1/agent-leases/live/')).length === 1);

    // Four grace periods of talking: the agent stays connected on keep-alives alone.
    for (let i = 0; i < 12; i++) {
      clock.t += 10_000;
      const before = seen.keepAlives;
      agent.send({ type: 'HeartbeatAckRequest', message: { messageId: `beat-${i}` } });
      await eventually('a keep-alive', () => seen.keepAlives > before);
      await local.expireLeases();
      assert.equal(await connected(agent), true, `connected after ${(i + 1) * 10} s`);
    }
    assert.deepEqual(seen.writes.slice(registered).filter((k) => k.includes('/container-instances/')), []);
    assert.deepEqual(seen.writes.slice(registered).filter((k) => k.includes('/liveness/')), [], 'keep-alives write nothing');

    // Killed: nothing keeps the lease alive any more.
    const lastHeard = clock.t;
    await agent.kill();
    clock.t = lastHeard + (GRACE - 1) * 1000;
    await local.expireLeases();
    assert.equal(await connected(agent), true, 'still within the grace period');
    clock.t = lastHeard + (GRACE + 1) * 1000;
    await local.expireLeases();
    assert.deepEqual(await local.list('/ecs/000000000000/us-east-1/agent-leases/live/'), [], 'the lease expired and took its key');
    assert.equal(await connected(agent), false, 'disconnected after the grace period');
    const heartbeatWrites = seen.writes.slice(registered).filter((k) => k.includes('/container-instances/'));
    assert.deepEqual(heartbeatWrites, [], 'zero heartbeat writes to the instance record');
  });
});

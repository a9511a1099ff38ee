import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerInstanceRecord } from './common.js';
import {
  integerResource, portsTaken, rebaseRemaining, registeredResources, releaseResources, reserveResources, whyNotFit,
} from './container-instance-resources.js';
import { isAgentConnected, renderContainerInstance } from './container-instance-view.js';

describe('container instance resources', () => {
  const total = registeredResources([{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 2000 }]);

  it('reserves and releases CPU, memory and host ports; reserved ports stay taken', () => {
    const need = { cpu: 256, memory: 512, ports: [8080, 22], portsUdp: [53] };
    assert.equal(whyNotFit(total, { ports: [22] }), 'PORTS');
    assert.equal(whyNotFit(total, { cpu: 1025 }), 'CPU');
    assert.equal(whyNotFit(total, { memory: 2001 }), 'MEMORY');
    assert.equal(whyNotFit(total, { cpu: 1024, memory: 2000, ports: [8080] }), undefined);
    const after = reserveResources(total, need);
    assert.equal(integerResource(after, 'CPU'), 768);
    assert.equal(integerResource(after, 'MEMORY'), 1488);
    assert.ok(portsTaken(after, 'PORTS').has('8080'));
    assert.equal(whyNotFit(after, { portsUdp: [53] }), 'PORTS_UDP');
    const back = releaseResources(after, need, total);
    assert.deepEqual(back, total, 'port 22 is the agent\'s and is not handed back');
  });

  it('keeps what tasks hold when an instance re-registers with other totals', () => {
    const held = reserveResources(total, { cpu: 512, memory: 1000, ports: [8080] });
    const bigger = registeredResources([{ name: 'CPU', type: 'INTEGER', integerValue: 4096 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 8000 }]);
    const rebased = rebaseRemaining(bigger, { registered: total, remaining: held });
    assert.equal(integerResource(rebased, 'CPU'), 4096 - 512);
    assert.equal(integerResource(rebased, 'MEMORY'), 8000 - 1000);
    assert.deepEqual([...portsTaken(rebased, 'PORTS')], ['22', '2375', '2376', '8080', '51678', '51679']);
    assert.deepEqual(rebaseRemaining(bigger), bigger);
  });
});

describe('container instance view', () => {
  const record: ContainerInstanceRecord = {
    containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/c/0123', status: 'ACTIVE',
    lastHeartbeatAt: '2026-11-25T10:00:00.000Z', agentIp: '10.0.0.5', tags: [{ key: 'k', value: 'v' }],
  };
  const at = (s: number) => new Date(Date.parse('2026-11-25T10:00:00.000Z') + s * 1000);

  it('is connected up to the grace period after the last heartbeat, and never when INACTIVE', () => {
    assert.equal(isAgentConnected(record, at(10), 10), true);
    assert.equal(isAgentConnected(record, at(10.001), 10), false);
    assert.equal(isAgentConnected({ ...record, status: 'INACTIVE' }, at(0), 10), false);
    assert.equal(isAgentConnected({ ...record, lastHeartbeatAt: undefined }, at(0), 10), false);
  });

  it('renders without internal fields, with tags and health only when asked', () => {
    const plain = renderContainerInstance(record, at(1), 10, { include: [] }) as Record<string, unknown>;
    assert.equal(plain.agentIp, undefined);
    assert.equal(plain.lastHeartbeatAt, undefined);
    assert.equal(plain.tags, undefined);
    assert.equal(plain.healthStatus, undefined);
    assert.equal(plain.agentConnected, true);
    const full = renderContainerInstance(record, at(11), 10, { include: ['TAGS', 'CONTAINER_INSTANCE_HEALTH'], counts: { running: 2, pending: 1 } });
    assert.deepEqual(full.tags, [{ key: 'k', value: 'v' }]);
    assert.equal(full.healthStatus?.overallStatus, 'INSUFFICIENT_DATA');
    assert.equal(full.runningTasksCount, 2);
    assert.equal(full.pendingTasksCount, 1);
  });
});

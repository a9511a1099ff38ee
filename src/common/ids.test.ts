// randomIds.hex draws from a pool of random bytes: ids stay distinct and of the asked length
// across refills of the pool.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomIds } from './ids.js';

test('hex ids: distinct, the length asked, hexadecimal, across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) seen.add(randomIds.hex(32)); // 320 KB: many refills of the 4 KiB pool
  assert.equal(seen.size, 20_000);
  for (const n of [1, 7, 17, 32, 8191, 8192, 8193, 20_000]) {
    const id = randomIds.hex(n);
    assert.equal(id.length, n);
    assert.match(id, /^[0-9a-f]+$/);
  }
  assert.notEqual(randomIds.hex(8192), randomIds.hex(8192));
});

// parseStatusKey reads `<family>!<10-digit revision>` off the end of a status index key, as the
// regex /([a-zA-Z0-9_-]+)!(\d{10})$/ did (it now walks back from the end instead).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStatusKey, statusIndexKey } from './task-definition-index.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const reference = (key: string) => {
  const m = /([a-zA-Z0-9_-]+)!(\d{10})$/.exec(key);
  return m ? { family: m[1], revision: Number(m[2]) } : undefined;
};

describe('parseStatusKey', () => {
  it('gives the family and revision of index keys', () => {
    assert.deepEqual(parseStatusKey(statusIndexKey(scope, 'ACTIVE', 'big', 4999)), { family: 'big', revision: 4999 });
    assert.deepEqual(parseStatusKey(statusIndexKey(scope, 'INACTIVE', 'a-b_C9', 1)), { family: 'a-b_C9', revision: 1 });
  });

  it('answers what the regex answered, on keys of every shape', () => {
    const keys = ['', '!0000000001', 'x!0000000001', '/a/b!0000000001', '/a/b!000000001', '/a/b!00000000012', '/a/b.c!0000000002',
      '/a/!0000000003', 'a!b!0000000004', 'fam!000000000x', '/ecs/1/r/task-definition-status/ACTIVE/f-000123!0000000020',
      'é!0000000005', 'a b!0000000006', 'x!0000000007\n'];
    for (const key of keys) assert.deepEqual(parseStatusKey(key), reference(key), JSON.stringify(key));
  });
});

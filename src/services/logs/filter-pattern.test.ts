// Filter-pattern table tests, taken from the examples in AWS's "Filter pattern syntax" guide.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePattern } from './filter-pattern.js';

const JSON_EVENT = JSON.stringify({
  eventType: 'UpdateTrail', sourceIPAddress: '111.111.111.111', arrayKey: ['value', 'another value'],
  objectList: [{ name: 'a', id: 1 }, { name: 'b', id: 2 }], SomeObject: null, ThisFlag: true,
  user: { id: 1, email: 'John.Doe@example.com' }, users: [{ email: 'John.Doe@example.com' }], actions: ['GET', 'PUT', 'DELETE'],
  latency: 250,
});
const APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534';

const cases: Array<[string, string, boolean]> = [
  // terms
  ['', '[ERROR] A fatal exception has occurred', true],
  ['ERROR', '[ERROR] A fatal exception has occurred', true],
  ['ERROR', '[INFO] all good', false],
  ['ERROR Exception', '[ERROR] Caught IllegalArgumentException', true],
  ['ERROR Exception', '[ERROR] Unexpected', false],
  ['"Failed to process the request"', '[WARN] Failed to process the request', true],
  ['"Failed to process the request"', '[WARN] Failed to process request', false],
  ['?ERROR ?WARN', '[WARN] slow', true],
  ['?ERROR ?WARN', '[INFO] fine', false],
  ['ERROR -Exiting', '[ERROR] Exiting program', false],
  ['ERROR -Exiting', '[ERROR] Unexpected', true],
  ['error', '[ERROR] case matters', false],
  ['%ERR[A-Z]+%', '[ERROR] regex', true],
  // JSON
  ['{ $.eventType = "UpdateTrail" }', JSON_EVENT, true],
  ['{ $.eventType = "DeleteTrail" }', JSON_EVENT, false],
  ['{ $.eventType = Update* }', JSON_EVENT, true],
  ['{ $.sourceIPAddress != 123.123.* }', JSON_EVENT, true],
  ['{ $.arrayKey[0] = "value" }', JSON_EVENT, true],
  ['{ $.objectList[1].id = 2 }', JSON_EVENT, true],
  ['{ $.objectList[1].id = 1 }', JSON_EVENT, false],
  ['{ $.SomeObject IS NULL }', JSON_EVENT, true],
  ['{ $.SomeOtherObject NOT EXISTS }', JSON_EVENT, true],
  ['{ $.eventType NOT EXISTS }', JSON_EVENT, false],
  ['{ $.ThisFlag IS TRUE }', JSON_EVENT, true],
  ['{ $.ThisFlag IS FALSE }', JSON_EVENT, false],
  ['{ $.latency > 200 }', JSON_EVENT, true],
  ['{ $.latency <= 200 }', JSON_EVENT, false],
  ['{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', JSON_EVENT, true],
  ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "DELETE" }', JSON_EVENT, true],
  ['{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', JSON_EVENT, false],
  ['{ $.eventType = "UpdateTrail" }', 'not json at all', false],
  // space-delimited
  ['[ip, user, username, timestamp, request, status_code, bytes]', APACHE, true],
  ['[ip, user, username, timestamp, request, status_code = 4*, bytes]', APACHE, false],
  ['[ip, user, username, timestamp, request, status_code = 2*, bytes]', APACHE, true],
  ['[..., status_code, bytes]', APACHE, true],
  ['[ip, user, ..., status_code, bytes > 1000]', APACHE, true],
  ['[ip, user, ..., status_code, bytes > 2000]', APACHE, false],
  ['[ip, user, username, timestamp, request, status_code = 200 || status_code = 404, bytes]', APACHE, true],
  ['[ip, user, username, timestamp, request, status_code = 301 || status_code = 404, bytes]', APACHE, false],
  ['[ip, user]', APACHE, false],
  ['[ip = 127.0.0.1, ...]', APACHE, true],
];

describe('filter patterns (AWS guide examples)', () => {
  for (const [pattern, event, expected] of cases) {
    it(`${pattern || '(empty)'} ${expected ? 'matches' : 'does not match'} ${event.slice(0, 40)}`, () => {
      assert.equal(compilePattern(pattern).match(event) !== undefined, expected);
    });
  }

  it('exposes fields for metric values', () => {
    assert.equal(compilePattern('{ $.latency > 0 }').match(JSON_EVENT)!.field('$.latency'), 250);
    assert.equal(compilePattern('[ip, user, username, timestamp, request, status_code, bytes]').match(APACHE)!.field('$bytes'), '1534');
  });

  it('rejects malformed patterns with InvalidParameterException', () => {
    for (const bad of ['{ $.a = ', '{ a = 1 }', '[a, ..., b, ...]', '{ $.a = 1', '{ $.a IS MAYBE }']) {
      assert.throws(() => compilePattern(bad), (err: Error) => err.name === 'InvalidParameterException', bad);
    }
  });
});

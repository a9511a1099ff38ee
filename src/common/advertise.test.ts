import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advertisedUrl, isLoopbackHost } from './advertise.js';

const config = { host: '0.0.0.0', port: 4566 };

describe('advertisedUrl', () => {
  it('is the configured --advertise-url, whatever the caller used', () => {
    assert.equal(advertisedUrl({ ...config, publicUrl: 'https://berth.example:8443/' },
      { scheme: 'http', host: '10.0.0.1:4566', remoteAddress: '10.0.0.2' }), 'https://berth.example:8443');
  });

  it('is the scheme and Host the caller used', () => {
    assert.equal(advertisedUrl(config, { scheme: 'https', host: 'Berth.Example:4566', remoteAddress: '10.15.1.2', localAddress: '10.15.1.1', localPort: 4566 }),
      'https://berth.example:4566');
    assert.equal(advertisedUrl(config, { scheme: 'http', host: '[fd00::1]:4566', remoteAddress: 'fd00::2' }), 'http://[fd00::1]:4566');
    assert.equal(advertisedUrl(config, { scheme: 'http', host: '127.0.0.1:4566', remoteAddress: '127.0.0.1' }), 'http://127.0.0.1:4566');
  });

  it('never tells a caller off loopback to use a loopback address', () => {
    // A Host of localhost from a remote caller (a tunnel, a proxy): the server's end of its connection instead.
    assert.equal(advertisedUrl(config, { scheme: 'http', host: 'localhost:4566', remoteAddress: '::ffff:10.15.1.2', localAddress: '::ffff:10.15.1.1', localPort: 4566 }),
      'http://10.15.1.1:4566');
    // No Host at all: the server's end of the connection.
    assert.equal(advertisedUrl(config, { scheme: 'https', remoteAddress: '10.15.1.2', localAddress: '10.15.1.1', localPort: 4566 }), 'https://10.15.1.1:4566');
    // A malformed Host is not echoed.
    assert.equal(advertisedUrl(config, { scheme: 'http', host: 'evil/x@y', remoteAddress: '10.15.1.2', localAddress: '10.15.1.1', localPort: 4566 }), 'http://10.15.1.1:4566');
  });

  it('falls back to the listen address without a connection', () => {
    assert.equal(advertisedUrl({ host: '127.15.0.3', port: 9 }), 'http://127.15.0.3:9');
    assert.equal(advertisedUrl({ host: '0.0.0.0', port: 9, tls: true }), 'https://127.0.0.1:9');
  });

  it('knows loopback names', () => {
    for (const h of ['localhost', '127.15.0.1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['10.15.0.1', 'berth.example', '::ffff:10.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
  });
});

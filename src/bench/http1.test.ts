// The benchmarks' HTTP/1.1 client against real servers: node:http (keep-alive, Content-Length and
// chunked bodies, Connection: close) and a raw HTTP/1.0 server that closes after each answer, plus
// an idle keep-alive connection the server closed meanwhile.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Http1Connection } from './http1.js';

const request = (path: string, body = '') => Buffer.from(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
const listen = (server: Server | TcpServer) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('Http1Connection', () => {
  let http: Server;
  let port: number;
  let connections = 0;
  before(async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const echo = Buffer.concat(chunks).toString();
        if (req.url === '/chunked') { res.writeHead(200); res.write('ab'); res.write('cdé'); res.end(); return; }
        if (req.url === '/close') { res.writeHead(400, { connection: 'close', 'content-type': 'application/json' }).end('{"__type":"X"}'); return; }
        res.writeHead(200, { 'content-length': Buffer.byteLength(echo) }).end(echo);
      });
    });
    http.on('connection', () => { connections++; });
    port = await listen(http);
  });
  after(() => { http.closeAllConnections(); http.close(); });

  it('keeps one connection for answers with Content-Length and chunked bodies', async () => {
    const c = new Http1Connection('127.0.0.1', port);
    const before = connections;
    assert.deepEqual(await c.request(request('/', '{"a":"é"}')), { status: 200, body: '{"a":"é"}' });
    assert.deepEqual(await c.request(request('/chunked')), { status: 200, body: 'abcdé' });
    assert.deepEqual(await c.request(request('/', '')), { status: 200, body: '' });
    assert.equal(connections - before, 1);
    c.close();
  });

  it('opens a new connection after Connection: close, and after the server dropped an idle one', async () => {
    const c = new Http1Connection('127.0.0.1', port);
    const before = connections;
    assert.deepEqual(await c.request(request('/close')), { status: 400, body: '{"__type":"X"}' });
    assert.deepEqual(await c.request(request('/', 'x')), { status: 200, body: 'x' });
    // Whether the client has seen the close yet or writes into it (reset), it answers on a new one.
    http.closeIdleConnections();
    assert.deepEqual(await c.request(request('/', 'y')), { status: 200, body: 'y' });
    assert.equal(connections - before, 3);
    c.close();
  });

  it('reads an HTTP/1.0 answer without a length up to the close', async () => {
    const raw = createTcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{"ok":true}'));
    });
    const rawPort = await listen(raw);
    const c = new Http1Connection('127.0.0.1', rawPort);
    assert.deepEqual(await c.request(request('/')), { status: 200, body: '{"ok":true}' });
    assert.deepEqual(await c.request(request('/')), { status: 200, body: '{"ok":true}' });
    c.close();
    raw.close();
  });

  it('rejects when the server closes before a complete answer', async () => {
    const raw = createTcpServer((socket) => { socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc')); });
    const rawPort = await listen(raw);
    const c = new Http1Connection('127.0.0.1', rawPort);
    await assert.rejects(c.request(request('/')), /closed before a complete answer/);
    c.close();
    raw.close();
  });
});

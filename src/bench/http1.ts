// The smallest HTTP/1.1 client the benchmarks need: one connection, one request at a time, the
// request given as its bytes; the answer's status and body (Content-Length, chunked, or up to the
// close). The connection is kept alive when the server allows it and opened again when it does
// not (HTTP/1.0 servers, Connection: close); a request that fails on a reused connection before
// any answer (the server closed it meanwhile) is sent once more on a new one.
import { connect, type Socket } from 'node:net';

export interface Http1Response { status: number; body: string }

interface Pending {
  resolve(r: Http1Response): void;
  reject(err: Error): void;
  request: Buffer;
  /** On a connection that served an earlier request. */
  reused: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export class Http1Connection {
  private socket?: Socket;
  private served = false;
  private pending?: Pending;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly host: string, private readonly port: number) {}

  request(request: Buffer): Promise<Http1Response> {
    if (this.pending) return Promise.reject(new Error('Http1Connection: one request at a time'));
    return new Promise((resolve, reject) => this.send({ resolve, reject, request, reused: false }));
  }

  close() {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private send(p: Pending) {
    this.pending = p;
    this.chunks = [];
    this.size = 0;
    if (!this.socket) {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      this.socket = socket;
      this.served = false;
      socket.on('data', (chunk: Buffer) => { if (this.socket === socket) this.onData(chunk); });
      socket.on('error', (err) => { if (this.socket === socket) this.onEnd(err); });
      socket.on('close', () => { if (this.socket === socket) this.onEnd(); });
    }
    p.reused = this.served;
    this.socket.write(p.request);
  }

  private onData(chunk: Buffer) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (!this.pending) return;
    const answer = this.parse(false);
    if (answer) this.finish(answer.response, answer.keepAlive);
  }

  private onEnd(err?: Error) {
    this.socket?.destroy();
    this.socket = undefined;
    const p = this.pending;
    if (!p) return;
    const answer = this.size > 0 ? this.parse(true) : undefined;
    if (answer) { this.finish(answer.response, false); return; }
    this.pending = undefined;
    if (p.reused && this.size === 0) { this.send({ ...p, reused: false }); return; }
    p.reject(err ?? new Error(`connection to ${this.host}:${this.port} closed before a complete answer`));
  }

  private finish(response: Http1Response, keepAlive: boolean) {
    const p = this.pending!;
    this.pending = undefined;
    this.chunks = [];
    this.size = 0;
    this.served = true;
    if (!keepAlive) this.close();
    p.resolve(response);
  }

  /** The complete answer in the buffer, if there is one (`closed`: the server has closed). */
  private parse(closed: boolean): { response: Http1Response; keepAlive: boolean } | undefined {
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [data];
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd < 0) return undefined;
    const lines = data.toString('latin1', 0, headEnd).split('\r\n');
    const m = /^HTTP\/1\.(\d) (\d{3})/.exec(lines[0]);
    if (!m) throw new Error(`not an HTTP/1 answer: ${lines[0].slice(0, 80)}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const connection = (headers.get('connection') ?? '').toLowerCase();
    const keepAlive = m[1] === '1' ? connection !== 'close' : connection === 'keep-alive';
    const start = headEnd + 4;
    const status = Number(m[2]);
    if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
      const body = dechunk(data, start);
      return body === undefined ? undefined : { response: { status, body: body.toString('utf8') }, keepAlive };
    }
    const length = headers.get('content-length');
    if (length !== undefined) {
      const end = start + Number(length);
      return data.length < end ? undefined : { response: { status, body: data.toString('utf8', start, end) }, keepAlive };
    }
    if (status === 204 || status === 304) return { response: { status, body: '' }, keepAlive };
    return closed ? { response: { status, body: data.toString('utf8', start) }, keepAlive: false } : undefined;
  }
}

/** A chunked body from `at`, or undefined while incomplete. */
function dechunk(data: Buffer, at: number): Buffer | undefined {
  const parts: Buffer[] = [];
  for (let pos = at; ;) {
    const eol = data.indexOf('\r\n', pos);
    if (eol < 0) return undefined;
    const size = parseInt(data.toString('latin1', pos, eol), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    if (size === 0) return data.indexOf(HEAD_END, eol) < 0 ? undefined : Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

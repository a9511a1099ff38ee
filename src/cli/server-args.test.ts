// `berth server` flags of issue 15, refused at start when they cannot work (nothing is started).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BERTH_BIN } from '../testing/processes.js';

/** Runs `berth server …`; resolves with its exit code and stderr (each case fails before listening). */
const start = (line: string) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
  execFile(process.execPath, [BERTH_BIN, ...line.split(' ')], { timeout: 30_000 }, (err, _stdout, stderr) =>
    resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }));
});

describe('berth server: --advertise-url, --tls-cert/--tls-key', () => {
  const base = 'server --store memory:// --host 127.15.0.9 --port 0';
  const dir = mkdtempSync(join(tmpdir(), 'berth-server-args-'));
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'not a certificate');
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('refuses an advertise URL that is not http(s)://host[:port]', async () => {
    for (const bad of ['berth.example:4566', 'ftp://berth.example', 'https://berth.example/api']) {
      const out = await start(`${base} --advertise-url ${bad}`);
      assert.equal(out.code, 1);
      assert.match(out.stderr, /--advertise-url must be http\(s\):\/\/host\[:port\]/);
    }
  });

  it('refuses half a TLS pair and files that are not PEM', async () => {
    const cases: Array<[string, RegExp]> = [
      [`--tls-cert ${text}`, /give both --tls-cert FILE and --tls-key FILE/],
      [`--tls-cert ${text} --tls-key ${text}`, /--tls-cert .*text\.txt: not a PEM certificate/],
      [`--tls-cert ${join(dir, 'missing.pem')} --tls-key ${text}`, /--tls-cert .*missing\.pem: ENOENT/],
    ];
    for (const [flags, message] of cases) {
      const out = await start(`${base} ${flags}`);
      assert.equal(out.code, 1);
      assert.match(out.stderr, message);
    }
  });
});

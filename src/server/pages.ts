// What a person with a browser finds: GET / answers a small page (what Berth is, its version,
// links to health and the README) instead of an API error; /_berth/readme serves the README.
import { readFileSync } from 'node:fs';
import type { Gateway } from '../gateway/server.js';

const README = new URL('../../README.md', import.meta.url);

export function landingPage(version: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Berth ${version}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42em;margin:3em auto;padding:0 1em}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body>
<h1>Berth ${version}</h1>
<p>Amazon ECS (and the AWS APIs around it) that you run yourself. This address answers the AWS APIs:
point the AWS CLI or an SDK at it.</p>
<pre><code>aws --endpoint-url URL ecs list-clusters</code></pre>
<ul>
<li><a href="/_berth/health">/_berth/health</a>: status, store, services, connected agents</li>
<li><a href="/_berth/readme">README</a>: getting started, options, what is supported</li>
</ul>
</body></html>
`;
}

export function registerPages(gateway: Gateway, version: string) {
  gateway.landing((req, res) => {
    // The Host header goes into HTML: only a plain host[:port] is used.
    const host = /^[\w.:[\]-]{1,300}$/.test(req.headers.host ?? '') ? `http://${req.headers.host}` : 'http://localhost:4566';
    const body = landingPage(version).replace('aws --endpoint-url URL', `aws --endpoint-url ${host}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  gateway.route('/_berth/readme', (_req, res) => {
    let text: string;
    try { text = readFileSync(README, 'utf8'); } catch { text = 'README.md is not installed with this copy of Berth.\n'; }
    res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8' }).end(text);
  });
}

// The ALB's HTTP/1.1 reverse proxy: rules in priority order, weighted target groups, round robin
// over healthy targets through keep-alive pools, X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id,
// stickiness cookies, fixed responses and redirects, and ALB's own 502/503/504 pages.
import { Agent, request, type AgentOptions, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Metrics } from './metrics.js';
import { matchRule, redirectLocation, type RequestFacts } from './routing.js';
import { pick, routable, type LiveListener, type LiveTarget, type LiveTargetGroup, type PlaneView } from './view.js';

const REASON: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** ALB's own error page (what curl shows for a 502/503/504 the load balancer generates). */
export const elbErrorPage = (status: number) =>
  `<html>\r\n<head><title>${status} ${REASON[status]}</title></head>\r\n<body>\r\n<center><h1>${status} ${REASON[status]}</h1></center>\r\n</body>\r\n</html>\r\n`;

let traceCounter = 0;
const traceId = () => `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${(++traceCounter).toString(16).padStart(24, '0')}`;

function cookie(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class AlbProxy {
  constructor(private readonly view: PlaneView, private readonly metrics: Metrics) {}

  handle(listenerId: string, req: IncomingMessage, res: ServerResponse) {
    const listener = this.view.listeners.get(listenerId);
    if (!listener) return this.elbError(res, 503);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const facts: RequestFacts = {
      method: req.method ?? 'GET', path: q < 0 ? url : url.slice(0, q), query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      host: req.headers.host ?? listener.lb.DNSName ?? '', headers: req.headers, sourceIp: req.socket.remoteAddress ?? '',
    };
    const rule = matchRule(listener.rules, facts);
    const action = rule?.Actions?.at(-1);
    this.metrics.request(listener);
    if (!action) return this.elbError(res, 503, listener);
    if (action.Type === 'fixed-response') return this.fixed(res, action);
    if (action.Type === 'redirect') {
      const cfg = action.RedirectConfig!;
      res.writeHead(cfg.StatusCode === 'HTTP_301' ? 301 : 302, { location: redirectLocation(cfg, facts, listener.record.Protocol ?? 'HTTP', listener.record.Port), server: 'awselb/2.0', 'content-length': 0 });
      return res.end();
    }
    this.forward(listener, action, req, res);
  }

  private fixed(res: ServerResponse, action: Action) {
    const cfg = action.FixedResponseConfig!;
    const body = Buffer.from(cfg.MessageBody ?? '');
    res.writeHead(Number(cfg.StatusCode), { 'content-type': cfg.ContentType ?? 'text/plain; charset=utf-8', 'content-length': body.length, server: 'awselb/2.0' });
    res.end(body);
  }

  private elbError(res: ServerResponse, status: number, listener?: LiveListener) {
    if (listener) this.metrics.elb5xx(listener);
    if (res.headersSent) { res.destroy(); return; }
    const body = elbErrorPage(status);
    res.writeHead(status, { server: 'awselb/2.0', 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Weighted choice of target group, honouring group-level stickiness (AWSALBTG cookie). */
  private chooseGroup(listener: LiveListener, action: Action, req: IncomingMessage): { group?: LiveTargetGroup; setCookie?: string } {
    const groups = (action.ForwardConfig?.TargetGroups ?? []).map((g) => ({ g: this.view.groupFor(listener, g.TargetGroupArn!), w: g.Weight ?? 1 }));
    const stick = action.ForwardConfig?.TargetGroupStickinessConfig;
    if (stick?.Enabled) {
      const sticky = cookie(req, 'AWSALBTG');
      const found = sticky && groups.find((x) => x.g?.id === sticky && x.w > 0);
      if (found) return { group: found.g };
    }
    const total = groups.reduce((s, x) => s + (x.g ? x.w : 0), 0);
    let group: LiveTargetGroup | undefined;
    if (groups.length === 1) group = groups[0].g;
    else if (total > 0) {
      let r = Math.random() * total;
      for (const x of groups) { if (!x.g) continue; r -= x.w; if (r < 0) { group = x.g; break; } }
    }
    const setCookie = stick?.Enabled && group ? `AWSALBTG=${group.id}; Max-Age=${stick.DurationSeconds ?? 3600}; Path=/` : undefined;
    return { group, setCookie };
  }

  /** Target within the group: the AWSALB cookie's target while it is routable (lb_cookie stickiness), else by the group's algorithm (pick). */
  private chooseTarget(group: LiveTargetGroup, req: IncomingMessage): { target?: LiveTarget; setCookie?: string } {
    const attrs = group.record.Attributes;
    if (attrs['stickiness.enabled'] === 'true' && attrs['stickiness.type'] === 'lb_cookie') {
      const sticky = cookie(req, 'AWSALB');
      const found = sticky ? routable(group).find((t) => t.key === sticky) : undefined;
      const target = found ?? pick(group);
      return { target, setCookie: target && `AWSALB=${target.key}; Max-Age=${attrs['stickiness.lb_cookie.duration_seconds'] ?? 86400}; Path=/` };
    }
    return { target: pick(group) };
  }

  private forward(listener: LiveListener, action: Action, req: IncomingMessage, res: ServerResponse) {
    const { group, setCookie: groupCookie } = this.chooseGroup(listener, action, req);
    if (!group) return this.elbError(res, 503, listener);
    const { target, setCookie } = this.chooseTarget(group, req);
    if (!target) return this.elbError(res, 503, listener);
    target.agent ??= new Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 256, scheduling: 'lifo' } as AgentOptions);
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const client = req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = xff ? `${xff}, ${client}` : client;
    headers['x-forwarded-proto'] = (listener.record.Protocol ?? 'HTTP').toLowerCase();
    headers['x-forwarded-port'] = String(listener.record.Port);
    headers['x-amzn-trace-id'] = traceId();
    const idleMs = Number(listener.lb.Attributes['idle_timeout.timeout_seconds'] ?? 60) * 1000;
    const started = process.hrtime.bigint();
    target.outstanding++;
    let finished = false;
    const finish = () => { if (!finished) { finished = true; target.outstanding--; } };
    const upstream = request({ agent: target.agent, host: target.record.Address, port: target.record.Port, method: req.method, path: req.url, headers }, (up) => {
      const status = up.statusCode ?? 502;
      const out: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
      const cookies = [groupCookie, setCookie].filter((c): c is string => !!c);
      if (cookies.length) out['set-cookie'] = [...(Array.isArray(out['set-cookie']) ? out['set-cookie'] : out['set-cookie'] ? [String(out['set-cookie'])] : []), ...cookies];
      res.writeHead(status, out);
      up.pipe(res);
      up.on('end', () => {
        finish();
        this.metrics.targetResponse(listener, group, status, Number(process.hrtime.bigint() - started) / 1e9);
      });
      up.on('error', () => { finish(); res.destroy(); });
    });
    let timedOut = false;
    upstream.setTimeout(idleMs, () => { timedOut = true; upstream.destroy(); finish(); this.elbError(res, 504, listener); });
    upstream.on('error', () => {
      finish();
      if (timedOut) return;
      if (!res.headersSent) this.elbError(res, 502, listener); else res.destroy();
    });
    res.on('close', () => { if (!res.writableFinished) upstream.destroy(); });
    req.pipe(upstream);
  }
}

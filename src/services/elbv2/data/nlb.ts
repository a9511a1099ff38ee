// The NLB's TCP pass-through: each accepted connection goes to the next healthy target (round robin)
// and bytes flow both ways untouched; a target that refuses the connection resets the client's.
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import type { Metrics } from './metrics.js';
import { pick, type PlaneView } from './view.js';

export function handleTcp(view: PlaneView, metrics: Metrics, listenerId: string, client: Socket) {
  const listener = view.listeners.get(listenerId);
  const action = listener?.rules.find((r) => r.IsDefault)?.Actions?.at(-1);
  const tgArn = action?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
  const group = listener && tgArn ? view.groupFor(listener, tgArn) : undefined;
  const target = group && pick(group);
  if (!listener || !target) { client.resetAndDestroy(); return; }
  metrics.newFlow(listener);
  target.outstanding++;
  const upstream = connect({ host: target.record.Address, port: target.record.Port });
  upstream.setNoDelay(true);
  client.setNoDelay(true);
  let done = false;
  const end = () => { if (!done) { done = true; target.outstanding--; } };
  upstream.on('error', () => { end(); if (!client.destroyed) client.resetAndDestroy(); });
  client.on('error', () => { end(); upstream.destroy(); });
  upstream.on('close', end);
  client.on('close', () => { end(); upstream.destroy(); });
  client.pipe(upstream);
  upstream.pipe(client);
}

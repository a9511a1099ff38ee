// The base URL a caller is told to reach this server at (DiscoverPollEndpoint's endpoint and
// telemetryEndpoint, registry hosts): the operator's --advertise-url when set; else the scheme,
// host and port the caller itself used (its Host header), which it can evidently reach; never a
// loopback address to a caller that is not on loopback (then this server's own end of the caller's
// connection instead).

/** How a caller reached the server (protocol/types.ts RequestOrigin has this shape; common
 *  imports nothing above it). */
export interface CallerOrigin {
  scheme: 'http' | 'https';
  host?: string;
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1').toLowerCase();

export const isLoopbackHost = (host: string): boolean => {
  const h = bare(host);
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
};

const hostPart = (address: string) => { const h = bare(address); return h.includes(':') ? `[${h}]` : h; };

/** The Host header's hostname (undefined when malformed). */
function hostnameOf(host: string): string | undefined {
  try { return new URL(`http://${host}`).hostname; } catch { return undefined; }
}

export interface AdvertiseConfig { publicUrl?: string; host: string; port: number; tls?: boolean }

export function advertisedUrl(config: AdvertiseConfig, origin?: CallerOrigin): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const scheme = origin?.scheme ?? (config.tls ? 'https' : 'http');
  const remoteIsLoopback = origin?.remoteAddress === undefined || isLoopbackHost(origin.remoteAddress);
  const named = origin?.host ? hostnameOf(origin.host) : undefined;
  if (origin?.host && named && /^[a-z0-9.\-:[\]]+$/i.test(origin.host) && (remoteIsLoopback || !isLoopbackHost(named))) {
    return `${scheme}://${origin.host.toLowerCase()}`;
  }
  if (origin?.localAddress && origin.localPort && (remoteIsLoopback || !isLoopbackHost(origin.localAddress))) {
    return `${scheme}://${hostPart(origin.localAddress)}:${origin.localPort}`;
  }
  const wildcard = config.host === '0.0.0.0' || config.host === '' || config.host === '::';
  const reachable = wildcard ? (config.host === '::' ? '::1' : '127.0.0.1') : config.host;
  return `${scheme}://${hostPart(reachable)}:${config.port}`;
}

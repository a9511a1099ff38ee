// What the agent asks the Docker engine directly, outside the Runtime interface: is an engine
// there (to choose the runtime), its version (for versionInfo and the docker-remote-api
// capabilities), and the bridge network's gateway (where containers reach the metadata endpoint).
import { request } from 'node:http';

export interface EngineEndpoint { socketPath?: string; host?: string; port?: number }

/** DOCKER_HOST (unix:// or tcp://) or the default socket. */
export function engineEndpoint(dockerHost = process.env.DOCKER_HOST): EngineEndpoint {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

function getJson<T>(endpoint: EngineEndpoint, path: string, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ ...endpoint, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 300) { reject(new Error(`Docker engine ${path}: HTTP ${res.statusCode} ${text.trim()}`)); return; }
        try { resolve(JSON.parse(text) as T); } catch (err) { reject(err); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`Docker engine ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface EngineVersion { version: string; apiVersion: string; os: string; arch: string }

/** The engine's version, or undefined when no engine answers. */
export async function probeEngine(endpoint = engineEndpoint()): Promise<EngineVersion | undefined> {
  try {
    const v = await getJson<{ Version: string; ApiVersion: string; Os: string; Arch: string }>(endpoint, '/version');
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
  } catch {
    return undefined;
  }
}

/** The gateway address of the engine's default bridge network (e.g. 172.17.0.1). */
export async function bridgeGateway(endpoint = engineEndpoint()): Promise<string | undefined> {
  try {
    const net = await getJson<{ IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } }>(endpoint, '/networks/bridge');
    for (const c of net.IPAM?.Config ?? []) {
      if (c.Gateway) return c.Gateway;
      // Older engines leave Gateway out: it is the subnet's first host address.
      const m = c.Subnet && /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(c.Subnet);
      if (m) return `${m[1]}.${m[2]}.${m[3]}.${Number(m[4]) + 1}`;
    }
  } catch { /* no engine or no bridge network */ }
  return undefined;
}

/** docker-remote-api versions from 1.17 up to the engine's API version (as the ECS agent lists them). */
export function remoteApiVersions(apiVersion: string, max = '1.44'): string[] {
  const minor = (v: string) => Number(v.split('.')[1] ?? 0);
  const top = Math.min(minor(apiVersion), minor(max));
  const out: string[] = [];
  for (let m = 17; m <= top; m++) out.push(`1.${m}`);
  return out;
}

/** A container's address on its (first) network, for the metadata endpoint's Networks. */
export async function containerIp(id: string, endpoint = engineEndpoint()): Promise<string | undefined> {
  const doc = await getJson<{ NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> } }>(
    endpoint, `/containers/${encodeURIComponent(id)}/json`);
  const ns = doc.NetworkSettings;
  return ns?.IPAddress || Object.values(ns?.Networks ?? {}).map((n) => n.IPAddress).find((ip) => ip) || undefined;
}

// The docker runtime: the Runtime interface over the Docker Engine HTTP API (node:http, no SDK).
// DOCKER_HOST picks the engine (unix:///path or tcp://host:port; default /var/run/docker.sock).
// Spec → create body and inspect → status live in docker-spec.ts; the event stream in
// docker-events.ts; ECS_IMAGE_PULL_BEHAVIOR in pull-policy.ts.
import { DockerClient, parseDockerHost, ref, type DockerEndpoint } from './docker-api.js';
import { DockerEventStream, type EventStreamOptions } from './docker-events.js';
import { createBody, toStatus, type DockerInspect } from './docker-spec.js';
import { isNotFound, RuntimeError } from './errors.js';
import { ensureImage, splitImage, type ImageStore } from './pull-policy.js';
import { demuxLogs, toDockerSince } from './docker-logs.js';
import type { ContainerSpec, ContainerStatus, LogLine, LogsOptions, Runtime, RuntimeEvent } from './types.js';

export interface DockerRuntimeOptions {
  /** A DOCKER_HOST-style address; default: $DOCKER_HOST, else unix:///var/run/docker.sock. */
  host?: string;
  events?: EventStreamOptions;
  /** The X-Registry-Auth value to pull an image with (registry credentials, e.g. Berth's ECR
   *  token), or undefined to pull anonymously. */
  registryAuth?: (image: string, taskArn?: string) => Promise<string | undefined>;
}

export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  readonly client: DockerClient;
  /** Images this agent pulled successfully (ECS_IMAGE_PULL_BEHAVIOR=once). */
  private readonly pulled = new Set<string>();
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  private stream?: DockerEventStream;

  constructor(private readonly options: DockerRuntimeOptions = {}) {
    const endpoint: DockerEndpoint = parseDockerHost(options.host ?? process.env.DOCKER_HOST);
    this.client = new DockerClient(endpoint);
  }

  /** Whether the engine answers /_ping. */
  async ping(): Promise<boolean> {
    try {
      await this.client.json('GET', '/_ping');
      return true;
    } catch {
      return false;
    }
  }

  pullImage(image: string, behavior: ContainerSpec['pullBehavior'], taskArn?: string): Promise<void> {
    return ensureImage(this.imagesFor(taskArn), image, behavior, this.pulled);
  }

  /** Pulls authenticate as the task (its execution role) when it has one. */
  private imagesFor(taskArn: string | undefined): ImageStore {
    return taskArn === undefined ? this.images : { ...this.images, pull: (image) => this.pull(image, taskArn) };
  }

  private async pull(image: string, taskArn?: string): Promise<void> {
    const { repository, tag } = splitImage(image);
    let failure: string | undefined;
    try {
      const auth = await this.options.registryAuth?.(image, taskArn);
      // The engine answers 200 and streams progress; a failure can still arrive as {"error": …}.
      await this.client.stream('POST', '/images/create', {
        query: { fromImage: repository, tag }, headers: auth ? { 'x-registry-auth': auth } : undefined,
      }, (line) => {
        if (typeof line.error === 'string') failure ??= line.error;
      });
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (failure !== undefined) throw new Error(`Error response from daemon: ${failure}`);
  }

  private readonly images: ImageStore = {
    exists: async (image) => {
      try {
        await this.client.json('GET', `/images/${ref(image)}/json`);
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    pull: (image) => this.pull(image),
  };

  async create(spec: ContainerSpec): Promise<string> {
    const { body } = await this.client.json<{ Id: string }>('POST', '/containers/create', {
      query: { name: spec.name }, body: createBody(spec),
    });
    return body.Id;
  }

  async start(id: string): Promise<void> {
    // 304: already running.
    await this.client.json('POST', `/containers/${ref(id)}/start`);
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    // The engine sends the stop signal (SIGTERM), waits t seconds, then SIGKILLs; 304: not running.
    await this.client.json('POST', `/containers/${ref(id)}/stop`, { query: { t: Math.max(0, Math.round(timeoutSeconds)) } });
  }

  /** Force-removes the container and its anonymous volumes; a container already gone is not an error. */
  async remove(id: string): Promise<void> {
    try {
      await this.client.json('DELETE', `/containers/${ref(id)}`, { query: { force: 1, v: 1 } });
    } catch (err) {
      if (isNotFound(err)) return;
      // 409 "removal of container … is already in progress" is as good as gone.
      if (err instanceof RuntimeError && err.status === 409 && /already in progress/.test(err.message)) return;
      throw err;
    }
  }

  async inspect(id: string): Promise<ContainerStatus | undefined> {
    try {
      const { body } = await this.client.json<DockerInspect>('GET', `/containers/${ref(id)}/json`);
      // Being removed is as good as gone. `docker rm -f` marks the container "removing" before it
      // kills it, so this also tells its die event (137) apart from a plain kill.
      if (body.State.Status === 'removing') return undefined;
      return toStatus(body);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async listByLabel(label: string, value?: string): Promise<ContainerStatus[]> {
    const filters = JSON.stringify({ label: [value === undefined ? label : `${label}=${value}`] });
    const { body } = await this.client.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: 1, filters } });
    const out: ContainerStatus[] = [];
    for (const c of body) {
      const status = await this.inspect(c.Id); // undefined: removed since the listing
      if (status) out.push(status);
    }
    return out;
  }

  events(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    this.stream ??= new DockerEventStream(this.client, (e) => {
      for (const l of [...this.listeners]) {
        try { l(e); } catch { /* a listener's failure must not end the stream */ }
      }
    }, this.options.events);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.stream) {
        const s = this.stream;
        this.stream = undefined;
        void s.stop();
      }
    };
  }

  /** GET /containers/{id}/logs with timestamps (json-file keeps them on disk, so nothing is lost
   *  while no one reads). Containers without a TTY multiplex stdout/stderr in 8-byte framed chunks. */
  async logs(id: string, options: LogsOptions, onLine: (line: LogLine) => void): Promise<void> {
    const query = { stdout: 1, stderr: 1, timestamps: 1, follow: options.follow ? 1 : 0, since: options.since ? toDockerSince(options.since) : undefined };
    const demux = demuxLogs(onLine);
    try {
      await this.client.raw('GET', `/containers/${ref(id)}/logs`, { query, signal: options.signal }, demux.push);
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    }
    demux.end();
  }

  async stats(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { body } = await this.client.json<Record<string, unknown>>('GET', `/containers/${ref(id)}/stats`, { query: { stream: 'false' } });
      return body;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const s = this.stream;
    this.stream = undefined;
    await s?.stop();
    this.client.close();
  }
}

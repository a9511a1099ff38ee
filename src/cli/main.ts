// The `berth` command.
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsPair } from '../gateway/server.js';
import { Agent } from '../agent/agent.js';
import { agentCredentials } from '../agent/acs-client.js';
import { probeEngine } from '../agent/engine-probe.js';
import { serviceList, type ServiceConfigs } from '../services/registry.js';
import { startBerth, VERSION, type Berth } from '../server/berth.js';
import { credentialsText, readRootCredentials } from '../server/root-credentials.js';
import { AGENT_HELP, agentOptionsFromArgs, fleetSizeFromArgs } from './agent-args.js';
import { startFleet } from '../agent/fleet.js';
import { EXPLAIN_HELP, explainPlacementCommand } from './explain-placement.js';
import { flag, parseArgs, type Args } from './args.js';
import { createActivityLog, parseLogFormat, parseLogLevel } from '../common/activity-log.js';

const HELP = `berth ${VERSION} — AWS's container platform, run yourself

Usage:
  berth up [server options]          server + a local agent in cluster "default" (what npm start
                                     runs); Docker when an engine answers, else simulated
  berth server [options]             the API server alone
    --host 127.0.0.1                 listen address            (BERTH_HOST)
    --port 4566                      listen port               (BERTH_PORT)
    --data DIR                       data directory, SQLite    (BERTH_DATA_DIR, default ./.berth)
    --store memory://                keep everything in memory instead
    --store etcd://HOST:2379[,…][/NS] an etcd cluster (multi-host), keys under /NS   (BERTH_STORE)
    --auth open|strict               open: any signature passes (default; loopback only)
                                     strict: SigV4 verified, IAM policies enforced; the root
                                     access key is created on first start      (BERTH_AUTH)
    --insecure                       allow --auth open on a non-loopback address
    --advertise-url URL              the base URL agents are told to use (DiscoverPollEndpoint);
                                     default: the scheme/host/port each agent reached the server at
                                                                         (BERTH_ADVERTISE_URL)
    --tls-cert FILE --tls-key FILE   serve everything on the port over HTTPS (PEM files)
                                                            (BERTH_TLS_CERT, BERTH_TLS_KEY)
    --log-level info                 activity log: debug, info, warn, error, off (BERTH_LOG_LEVEL)
    --log-format text                activity log lines as text or json          (BERTH_LOG_FORMAT)
    --max-connections 2048           concurrent connections; more are refused    (BERTH_MAX_CONNECTIONS)
    --headers-timeout 20             seconds a client has to send its headers
    --request-timeout 120            seconds a client has to send a whole request
${serviceFlagHelp()}
${AGENT_HELP}
    --stop-containers-on-exit        (up, agent) Ctrl-C also stops the agent's containers; by
                                     default they keep running and are re-adopted on restart
${EXPLAIN_HELP}
  berth credentials [--data DIR]     print the root access key of a strict-mode data directory
                                     (eval "$(berth credentials)" exports it)
  berth --version | --help

Point any AWS client at it: aws --endpoint-url http://localhost:4566 ecs list-clusters`;

/** Every service's flags, as help lines under `berth server`. */
function serviceFlagHelp(): string {
  return serviceList.flatMap((s) => s.config?.flags ?? []).map((f) => `    ${f.help}`).join('\n');
}

/** Each service's config section from its flags (or their environment variables); unset flags
 *  keep the service's defaults. */
function serviceConfigFromArgs(args: Args): ServiceConfigs {
  const out: Record<string, unknown> = {};
  for (const service of serviceList) {
    const section = service.config;
    if (!section?.flags) continue;
    const config = section.defaults();
    for (const f of section.flags) {
      const raw = flag(args, f.name) ?? (f.env ? process.env[f.env] : undefined);
      if (raw !== undefined) f.apply(config, raw);
    }
    out[service.name] = config;
  }
  return out as ServiceConfigs;
}

/** Stops what runs, in order, on SIGINT/SIGTERM, then exits; says first what stopping does. */
function onSignal(stoppers: (() => Promise<void>)[], says: string) {
  const stop = async (signal: NodeJS.Signals) => {
    console.log(`berth: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: ${says}`);
    for (const s of stoppers) await s().catch((err: Error) => console.error(`berth: ${err.message}`));
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const SERVER_STOP = 'stopping the server. Agents keep their containers running and reconnect when it is back.';
const containersSay = (stop: boolean) => (stop
  ? 'stopping; the agent stops its containers (--stop-containers-on-exit).'
  : 'stopping; containers keep running and are re-adopted when the agent starts again (--stop-containers-on-exit stops them).');

/** A positive whole number of seconds from a flag, in ms. */
function seconds(args: Args, name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new Error(`--${name} must be a positive number of seconds, not '${v}'`);
  return Number(v) * 1000;
}

/** --tls-cert/--tls-key (or BERTH_TLS_CERT/BERTH_TLS_KEY): both or neither, read as PEM. */
function tlsFromArgs(args: Args): TlsPair | undefined {
  const certFile = flag(args, 'tls-cert') ?? process.env.BERTH_TLS_CERT;
  const keyFile = flag(args, 'tls-key') ?? process.env.BERTH_TLS_KEY;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (!certFile || !keyFile) throw new Error('give both --tls-cert FILE and --tls-key FILE (PEM)');
  const read = (name: string, file: string, marker: RegExp) => {
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (err) { throw new Error(`--${name} ${file}: ${(err as Error).message}`); }
    if (!marker.test(text)) throw new Error(`--${name} ${file}: not a PEM ${name === 'tls-cert' ? 'certificate' : 'private key'}`);
    return text;
  };
  return { cert: read('tls-cert', certFile, /-----BEGIN CERTIFICATE-----/), key: read('tls-key', keyFile, /-----BEGIN [A-Z ]*PRIVATE KEY-----/) };
}

export async function serverFromArgs(args: Args, signals = true): Promise<Berth> {
  const store = flag(args, 'store') ?? flag(args, 'data') ?? process.env.BERTH_STORE ?? process.env.BERTH_DATA_DIR ?? '.berth';
  const auth = flag(args, 'auth') ?? process.env.BERTH_AUTH ?? 'open';
  if (auth !== 'open' && auth !== 'strict') throw new Error(`--auth must be open or strict, got '${auth}'`);
  const host = flag(args, 'host') ?? process.env.BERTH_HOST ?? '127.0.0.1';
  const port = Number(flag(args, 'port') ?? process.env.BERTH_PORT ?? 4566);
  const maxConnections = flag(args, 'max-connections') ?? process.env.BERTH_MAX_CONNECTIONS;
  const advertise = flag(args, 'advertise-url') ?? process.env.BERTH_ADVERTISE_URL;
  if (advertise !== undefined && !/^https?:\/\/[^/\s]+\/?$/i.test(advertise)) {
    throw new Error(`--advertise-url must be http(s)://host[:port], not '${advertise}'`);
  }
  if (maxConnections !== undefined && !/^\d+$/.test(maxConnections)) throw new Error(`--max-connections must be a whole number, not '${maxConnections}'`);
  const log = createActivityLog({
    level: parseLogLevel(flag(args, 'log-level') ?? process.env.BERTH_LOG_LEVEL ?? 'info'),
    format: parseLogFormat(flag(args, 'log-format') ?? process.env.BERTH_LOG_FORMAT ?? 'text'),
  });
  let berth: Berth;
  try {
    berth = await startBerth({
      auth, insecure: flag(args, 'insecure') === 'true',
      host, port, store, log, publicUrl: advertise, tls: tlsFromArgs(args),
      config: serviceConfigFromArgs(args),
      limits: {
        maxConnections: maxConnections === undefined ? undefined : Number(maxConnections),
        headersTimeoutMs: seconds(args, 'headers-timeout'), requestTimeoutMs: seconds(args, 'request-timeout'),
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`port ${port} on ${host} is already in use (another berth, or another program). `
        + `Choose another port with --port N or BERTH_PORT=N (clients then use --endpoint-url http://${host}:N).`);
    }
    if (code === 'EACCES') throw new Error(`not allowed to listen on ${host}:${port}; choose another port with --port N or BERTH_PORT=N.`);
    throw err;
  }
  console.log(`berth ${VERSION} listening on ${berth.url} (store: ${berth.app.store.name}, auth: ${auth})`);
  if (signals) onSignal([() => berth.close()], SERVER_STOP);
  return berth;
}

async function agentFromArgs(args: Args) {
  const options = agentOptionsFromArgs(args, VERSION);
  const size = fleetSizeFromArgs(args);
  if (size !== undefined) {
    const fleet = await startFleet({ ...options, size });
    onSignal([() => fleet.stop()], 'stopping the simulated fleet.');
    return;
  }
  const stopContainers = flag(args, 'stop-containers-on-exit') === 'true';
  // Installed before the agent starts, so a Ctrl-C during start-up is answered the same way.
  let agent: Agent | undefined;
  onSignal([async () => { await agent?.stop({ stopContainers }); }], containersSay(stopContainers));
  agent = await Agent.start(options);
}

/** Server + one local agent in cluster "default", in this process. */
async function up(args: Args) {
  const berth = await serverFromArgs(args, false);
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // In strict mode the local agent acts with the root key (an instance role is for agents elsewhere).
  const credentials = berth.rootCredentials ?? agentCredentials();
  const ecs = new ECSClient({ endpoint: berth.url, region, credentials });
  await ecs.send(new CreateClusterCommand({ clusterName: 'default' })); // idempotent
  ecs.destroy();
  const engine = await probeEngine();
  const runtime = engine ? 'docker' : 'simulated';
  console.log(engine
    ? `runtime: docker (Docker ${engine.version}, API ${engine.apiVersion})`
    : 'runtime: simulated (no Docker engine answers at DOCKER_HOST or /var/run/docker.sock: tasks run without containers)');
  const data = flag(args, 'data') ?? process.env.BERTH_DATA_DIR ?? '.berth';
  // At a time scale the agent reports container metrics that much more often (20 s / N, at least 1 s)
  // so that alarm periods (60 s / N) keep getting datapoints.
  const timeScale = (berth.app.serviceConfig.monitoring as { timeScale?: number } | undefined)?.timeScale ?? 1;
  const agent = await Agent.start({
    endpoint: berth.url, cluster: 'default', runtime, ip: '127.0.0.1', version: VERSION, credentials,
    ...(timeScale > 1 ? { telemetryPublishMs: Math.max(1000, 20_000 / timeScale) } : {}),
    stateDir: join(data.startsWith('memory:') || data.startsWith('sqlite:') ? '.berth' : data, 'agent-127.0.0.1'),
  });
  console.log(`berth up: this agent serves cluster "default" only; for another cluster start its own agent, e.g.\n`
    + `  berth agent --cluster NAME --endpoint ${berth.url} --ip 127.0.0.2 --state-dir .berth/agent-127.0.0.2`);
  const stopContainers = flag(args, 'stop-containers-on-exit') === 'true';
  onSignal([() => agent.stop({ stopContainers }), () => berth.close()], containersSay(stopContainers));
}

async function main(argv: string[]) {
  const args = parseArgs(argv, ['help', 'version', 'insecure', 'disable-privileged', 'disable-host-network', 'stop-containers-on-exit', 'fence-standalone']);
  if (flag(args, 'version')) { console.log(VERSION); return; }
  if (flag(args, 'help') || !args.command) { console.log(HELP); return; }
  switch (args.command) {
    case 'server':
      await serverFromArgs(args);
      return;
    case 'up':
      await up(args);
      return;
    case 'agent':
      await agentFromArgs(args);
      return;
    case 'credentials': {
      const dir = flag(args, 'data') ?? process.env.BERTH_DATA_DIR ?? '.berth';
      const root = readRootCredentials(dir);
      if (!root) throw new Error(`no root credentials in ${dir}: start 'berth server --auth strict --data ${dir}' once to create them`);
      console.log(credentialsText(root));
      return;
    }
    case 'explain-placement':
      await explainPlacementCommand(args);
      return;
    default:
      console.error(`berth: unknown command '${args.command}'\n\n${HELP}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`berth: ${(err as Error).message}`);
  process.exit(1);
});

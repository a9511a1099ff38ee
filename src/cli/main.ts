// The `berth` command.
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { join } from 'node:path';
import { Agent } from '../agent/agent.js';
import { agentCredentials } from '../agent/acs-client.js';
import { probeEngine } from '../agent/engine-probe.js';
import { serviceList, type ServiceConfigs } from '../services/registry.js';
import { startBerth, VERSION, type Berth } from '../server/berth.js';
import { credentialsText, readRootCredentials } from '../server/root-credentials.js';
import { AGENT_HELP, agentOptionsFromArgs } from './agent-args.js';
import { EXPLAIN_HELP, explainPlacementCommand } from './explain-placement.js';
import { flag, parseArgs, type Args } from './args.js';

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
${serviceFlagHelp()}
${AGENT_HELP}
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

/** Stops what runs, in order, on SIGINT/SIGTERM, then exits. */
function onSignal(stoppers: (() => Promise<void>)[]) {
  const stop = async () => {
    for (const s of stoppers) await s().catch((err: Error) => console.error(`berth: ${err.message}`));
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export async function serverFromArgs(args: Args, signals = true): Promise<Berth> {
  const store = flag(args, 'store') ?? flag(args, 'data') ?? process.env.BERTH_STORE ?? process.env.BERTH_DATA_DIR ?? '.berth';
  const auth = flag(args, 'auth') ?? process.env.BERTH_AUTH ?? 'open';
  if (auth !== 'open' && auth !== 'strict') throw new Error(`--auth must be open or strict, got '${auth}'`);
  const berth = await startBerth({
    auth, insecure: flag(args, 'insecure') === 'true',
    host: flag(args, 'host') ?? process.env.BERTH_HOST ?? '127.0.0.1',
    port: Number(flag(args, 'port') ?? process.env.BERTH_PORT ?? 4566),
    store,
    config: serviceConfigFromArgs(args),
  });
  console.log(`berth ${VERSION} listening on ${berth.url} (store: ${berth.app.store.name}, auth: ${auth})`);
  if (signals) onSignal([() => berth.close()]);
  return berth;
}

async function agentFromArgs(args: Args) {
  const agent = await Agent.start(agentOptionsFromArgs(args, VERSION));
  onSignal([() => agent.stop()]);
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
  const agent = await Agent.start({
    endpoint: berth.url, cluster: 'default', runtime, ip: '127.0.0.1', version: VERSION, credentials,
    stateDir: join(data.startsWith('memory:') || data.startsWith('sqlite:') ? '.berth' : data, 'agent-127.0.0.1'),
  });
  onSignal([() => agent.stop(), () => berth.close()]);
}

async function main(argv: string[]) {
  const args = parseArgs(argv, ['help', 'version', 'insecure']);
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

// The `berth` command.
import { startBerth, VERSION } from '../server/berth.js';
import { flag, parseArgs, type Args } from './args.js';

const HELP = `berth ${VERSION} — AWS's container platform, run yourself

Usage:
  berth up [server options]          server + a local agent (what npm start runs)
  berth server [options]             the API server alone
    --host 127.0.0.1                 listen address            (BERTH_HOST)
    --port 4566                      listen port               (BERTH_PORT)
    --data DIR                       data directory, SQLite    (BERTH_DATA_DIR, default ./.berth)
    --store memory://                keep everything in memory instead
    --agent-grace 30                 seconds before a silent agent shows disconnected
  berth --version | --help

Point any AWS client at it: aws --endpoint-url http://localhost:4566 ecs list-clusters`;

export async function serverFromArgs(args: Args) {
  const store = flag(args, 'store') ?? flag(args, 'data') ?? process.env.BERTH_STORE ?? process.env.BERTH_DATA_DIR ?? '.berth';
  const berth = await startBerth({
    host: flag(args, 'host') ?? process.env.BERTH_HOST ?? '127.0.0.1',
    port: Number(flag(args, 'port') ?? process.env.BERTH_PORT ?? 4566),
    store,
    agentGraceSeconds: Number(flag(args, 'agent-grace') ?? 30),
  });
  console.log(`berth ${VERSION} listening on ${berth.url} (store: ${berth.app.store.name})`);
  const stop = async () => { await berth.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return berth;
}

async function main(argv: string[]) {
  const args = parseArgs(argv, ['help', 'version']);
  if (flag(args, 'version')) { console.log(VERSION); return; }
  if (flag(args, 'help') || !args.command) { console.log(HELP); return; }
  switch (args.command) {
    case 'server':
    case 'up':
      await serverFromArgs(args);
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

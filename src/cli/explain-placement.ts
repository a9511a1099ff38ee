// `berth explain-placement`: asks a running server where tasks of a definition would go (and why
// not elsewhere) without launching anything — POST /_berth/explain-placement — and prints a table.
import type { Explained, ExplainInput } from '../services/ecs/launch/placement-explain.js';
import { parseConstraintArg, parseStrategyArg } from '../services/ecs/launch/placement-explain.js';
import { postJson } from './signed-request.js';
import { flag, flagList, type Args } from './args.js';

export const EXPLAIN_HELP = `  berth explain-placement            where tasks would be placed, and why not elsewhere (launches nothing)
    --task-definition web[:3]        the task definition (required)
    --cluster default                the cluster
    --count 1                        how many tasks (the engine places them one after the other)
    --constraint EXPR                distinctInstance | memberOf:<expression>        (repeatable)
    --strategy S                     random | binpack:<cpu|memory> | spread:<field>  (repeatable)
    --group family:web               the task group
    --endpoint URL                   the server (BERTH_ENDPOINT, AWS_ENDPOINT_URL, http://127.0.0.1:4566)
    --region/--account               scope (AWS_REGION; the access key when it is 12 digits)
    --json                           print the explanation as JSON`;

export async function explainPlacementCommand(args: Args): Promise<void> {
  const endpoint = (flag(args, 'endpoint') ?? process.env.BERTH_ENDPOINT ?? process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566').replace(/\/+$/, '');
  const taskDefinition = flag(args, 'task-definition');
  if (!taskDefinition) throw new Error('explain-placement needs --task-definition');
  const key = process.env.AWS_ACCESS_KEY_ID ?? '';
  const input: ExplainInput = {
    cluster: flag(args, 'cluster'),
    taskDefinition,
    count: flag(args, 'count') === undefined ? undefined : Number(flag(args, 'count')),
    placementConstraints: nonEmpty(flagList(args, 'constraint').map(parseConstraintArg)),
    placementStrategy: nonEmpty(flagList(args, 'strategy').map(parseStrategyArg)),
    group: flag(args, 'group'),
    region: flag(args, 'region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    account: flag(args, 'account') ?? (/^\d{12}$/.test(key) ? key : undefined),
  };
  const res = await postJson(`${endpoint}/_berth/explain-placement`, JSON.stringify(input));
  const body = await res.json() as Explained | { __type: string; message: string };
  if ('__type' in body) throw new Error(`${body.__type}: ${body.message}`);
  if (!res.ok) throw new Error(`the server answered HTTP ${res.status}`);
  console.log(flag(args, 'json') ? JSON.stringify(body, null, 2) : formatExplanation(body));
}

const nonEmpty = <T>(list: T[]) => (list.length ? list : undefined);

/** The explanation as people read it: the request, one row per instance, then what failed. */
export function formatExplanation(e: Explained): string {
  const lines: string[] = [];
  const ports = [...e.needs.ports.map(String), ...e.needs.portsUdp.map((p) => `${p}/udp`)];
  lines.push(`Placing ${e.count} task(s) of ${shortArn(e.taskDefinition)} in cluster ${shortArn(e.cluster)}, group ${e.group}`);
  lines.push(`Needs: cpu ${e.needs.cpu}, memory ${e.needs.memory} MiB${ports.length ? `, host ports ${ports.join(' ')}` : ''}`);
  lines.push(`Strategy: ${e.tiers.length ? e.tiers.join(' → ') : 'none (first instance that fits, in key order)'}`);
  lines.push('');
  if (e.instances.length === 0) {
    lines.push('No container instances in this cluster.');
    return lines.join('\n');
  }
  const header = ['INSTANCE', 'EC2 ID', 'AZ', 'TYPE', 'CPU', 'MEM', 'GROUP', 'VERDICT (task 1)', 'TAKES'];
  const rows = e.instances.map((i) => [
    i.containerInstanceId, i.ec2InstanceId ?? '-', i.availabilityZone ?? '-', i.instanceType ?? '-',
    String(i.remainingCpu), String(i.remainingMemory), String(i.groupTasks), verdictText(i.verdict),
    i.tasks.length ? i.tasks.map((t) => `#${t + 1}`).join(' ') : '-',
  ]);
  lines.push(...table([header, ...rows]));
  lines.push('');
  lines.push(`Placed ${e.placed} of ${e.count}.`);
  const failed = e.tasks.find((t) => t.chosen === undefined);
  if (failed) {
    lines.push(`Task #${failed.task + 1} (and any after it) fits nowhere:`);
    for (const v of failed.instances ?? []) {
      const id = v.arn.slice(v.arn.lastIndexOf('/') + 1);
      lines.push(`  ${id}  ${v.rejected ? `${v.rejected.stage}: ${v.rejected.reason} — ${v.rejected.detail}` : 'not rejected'}`);
    }
  }
  return lines.join('\n');
}

function verdictText(v: Explained['instances'][number]['verdict']): string {
  if (v.rejected) return `rejected by ${v.rejected.stage}: ${v.rejected.detail}`;
  return v.rank?.length ? `ok, rank [${v.rank.join(', ')}]` : 'ok';
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

const shortArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

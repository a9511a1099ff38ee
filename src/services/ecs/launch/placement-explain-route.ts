// GET/POST /_berth/explain-placement: the placement explanation (placement-explain.ts) over HTTP.
//   POST (or GET with a body): JSON {cluster, taskDefinition, count?, placementConstraints?,
//     placementStrategy?, group?, region?, account?}
//   GET without a body: the same as query parameters; constraints and strategies in short form,
//     repeated: ?constraint=memberOf:attribute:ecs.instance-type =~ t2.*&strategy=binpack:memory
// Answers 200 with the explanation, or an ECS error ({"__type", "message"}) with its status.
// Operational endpoint like /_berth/health: no SigV4; the account and region come from the input
// (default 000000000000 / us-east-1).
import type { PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import type { ServerResponse } from 'node:http';
import { AwsError } from '../../../common/errors.js';
import { DEFAULT_ACCOUNT, rootArn } from '../../../common/arn.js';
import type { AppContext, RequestContext } from '../../context.js';
import type { ServiceHost } from '../../types.js';
import { invalidParameter } from '../model/common.js';
import { explainPlacement, parseConstraintArg, parseStrategyArg, type ExplainInput } from './placement-explain.js';

export const EXPLAIN_PATH = '/_berth/explain-placement';

/** Registers the endpoint (ECS's start() calls this). */
export function registerExplainPlacement({ app, route }: Pick<ServiceHost<unknown>, 'app' | 'route'>) {
  route(EXPLAIN_PATH, async (req, res, body) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    try {
      const input = body.length ? fromJson(body.toString('utf8')) : fromQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
      const out = await explainPlacement(contextFor(app, input), input);
      send(res, 200, out);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      send(res, err.status, { __type: err.code, message: err.message });
    }
  });
}

function send(res: ServerResponse, status: number, value: unknown) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** The scope the explanation reads (like an API call by the account's root). */
function contextFor(app: AppContext, input: ExplainInput): RequestContext {
  const account = input.account ?? DEFAULT_ACCOUNT;
  const region = input.region ?? 'us-east-1';
  if (!/^\d{12}$/.test(account)) throw invalidParameter(`Invalid account '${account}': 12 digits expected.`);
  if (!/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region)) throw invalidParameter(`Invalid region '${region}'.`);
  return {
    account, region, requestId: app.ids.uuid(), accessKeyId: account, principalArn: rootArn(region, account),
    service: 'ecs', operation: 'ExplainPlacement', app,
  };
}

function fromJson(text: string): ExplainInput {
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw invalidParameter('The request body is not valid JSON.'); }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParameter('The request body must be a JSON object.');
  const o = value as Record<string, unknown>;
  return {
    cluster: optionalString(o, 'cluster'),
    taskDefinition: requiredString(o, 'taskDefinition'),
    count: optionalNumber(o.count, 'count'),
    placementConstraints: objectList<PlacementConstraint>(o, 'placementConstraints', ['type', 'expression']),
    placementStrategy: objectList<PlacementStrategy>(o, 'placementStrategy', ['type', 'field']),
    group: optionalString(o, 'group'),
    region: optionalString(o, 'region'),
    account: optionalString(o, 'account'),
  };
}

function fromQuery(q: URLSearchParams): ExplainInput {
  const one = (name: string) => q.get(name) ?? undefined;
  const constraints = q.getAll('constraint').map(parseConstraintArg);
  const strategies = q.getAll('strategy').map(parseStrategyArg);
  const input = fromJson(JSON.stringify({
    cluster: one('cluster'), taskDefinition: one('taskDefinition') ?? '', group: one('group'), region: one('region'), account: one('account'),
    ...(q.has('count') ? { count: Number(q.get('count')) } : {}),
  }));
  return { ...input, placementConstraints: constraints.length ? constraints : undefined, placementStrategy: strategies.length ? strategies : undefined };
}

function requiredString(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v === '') throw invalidParameter(`${name} is required (a string).`);
  return v;
}

function optionalString(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${name} must be a string.`);
  return v;
}

function optionalNumber(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParameter(`${name} must be a number.`);
  return v;
}

/** A list of objects whose members are the given strings (the SDK shapes' members). */
function objectList<T>(o: Record<string, unknown>, name: string, members: string[]): T[] | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalidParameter(`${name} must be a list.`);
  return v.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidParameter(`${name}[${i}] must be an object.`);
    const entry = item as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!members.includes(key)) throw invalidParameter(`${name}[${i}]: unknown member '${key}' (expected ${members.join(', ')}).`);
      optionalString(entry, key);
    }
    return entry as T;
  });
}

// The stages a call runs once its input is parsed, shared by wire requests (the gateway) and the
// internal client: validate against the SDK schema → authorize → handler. A service calling
// another goes through here, so validation and IAM apply exactly as on the wire.
import { AwsError, notImplemented } from '../common/errors.js';
import type { OperationSchema } from '../protocol/types.js';
import { validateInput } from '../protocol/validate.js';
import type { AppContext, Caller, RequestContext } from './context.js';
import type { Handlers, ServiceDef } from './types.js';

const isOperationSchema = (v: unknown): v is OperationSchema => Array.isArray(v) && v[0] === 9;
const camel = (op: string) => op[0].toLowerCase() + op.slice(1);

/** The operation's schema, or undefined when the service's SDK has no such operation. */
export function operationSchema(service: ServiceDef, operation: string | undefined): OperationSchema | undefined {
  const op = operation ? service.sdk()[`${operation}$`] : undefined;
  return isOperationSchema(op) ? op : undefined;
}

// A service's handlers, once loaded: handlers() is a dynamic import, which goes through the module
// loader's resolution on every call even when the module is loaded.
const loaded = new WeakMap<ServiceDef, Handlers>();

/** The handler for an operation, or a 501 NotImplemented error. */
export async function handlerFor(service: ServiceDef, operation: string) {
  let handlers = loaded.get(service);
  if (!handlers) loaded.set(service, handlers = await service.handlers());
  const handler = handlers[camel(operation)];
  if (!handler) throw notImplemented(service.name, operation);
  return handler;
}

/** validate → authorize → handler, for input already in the SDK's shape. */
export async function invoke(service: ServiceDef, op: OperationSchema, operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<unknown> {
  const handler = await handlerFor(service, operation);
  validateInput(input, op[4], service.constraints(), {
    invalid: service.validationErrorCode,
    type: service.protocol.startsWith('awsJson') ? 'SerializationException' : service.validationErrorCode,
  });
  await ctx.app.authorize(ctx, input);
  return handler(input as never, ctx);
}

/** The internal client (AppContext.call) over a set of services. */
export function internalClient(app: () => AppContext, services: readonly ServiceDef[]) {
  const byName = new Map(services.map((s) => [s.name, s]));
  return async <Output = unknown>(serviceName: string, operation: string, input: object, caller: Caller): Promise<Output> => {
    const service = byName.get(serviceName);
    if (!service) throw new AwsError('NotImplemented', `Service '${serviceName}' is not implemented in Berth yet`, 501, 'server');
    const op = operationSchema(service, operation);
    if (!op) throw new AwsError('UnknownOperationException', `Unknown operation ${operation} for ${service.name}`);
    const ctx: RequestContext = {
      requestId: app().ids.uuid(), account: caller.account, region: caller.region, accessKeyId: caller.accessKeyId,
      principalArn: caller.principalArn, service: service.name, operation, app: app(), internal: true, protocol: service.protocol,
      origin: caller.origin,
    };
    // A copy, so a handler that normalises its input in place never changes the caller's object.
    return await invoke(service, op, operation, structuredClone(input) as Record<string, unknown>, ctx) as Output;
  };
}

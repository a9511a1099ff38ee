// The gateway is one ordered chain (STYLE: requestId → resolveService → authenticate → parse →
// authorize → dispatch → serialize/error). Each stage is a plain function; this file composes them.
import { AwsError, internalError } from '../common/errors.js';
import { protocolFor } from '../protocol/index.js';
import { escapeXml } from '../protocol/query.js';
import type { RawRequest, WireResponse } from '../protocol/types.js';
import type { AppContext, RequestContext } from '../services/context.js';
import { handlerFor, invoke, operationSchema } from '../services/invoke.js';
import type { ServiceDef } from '../services/types.js';
import { authenticate } from './auth.js';
import { decodeBody } from './content-encoding.js';
import { resolveService } from './resolve.js';

export function createPipeline(app: AppContext, services: readonly ServiceDef[]) {
  return async function handle(req: RawRequest): Promise<WireResponse> {
    // 1. request id
    const requestId = app.ids.uuid();
    // 2. resolve service and region
    const resolved = resolveService(req, services);
    const service = resolved.service;
    if (!service) return unknownService(req, resolved.requested, requestId);
    const protocol = protocolFor(service, req);
    let operation: string | undefined;
    try {
      // 3. authenticate
      const principal = await authenticate(app, req, resolved.scope, service.protocol);
      // 4. parse (a gzip body, as the SDKs send a large PutMetricData, decoded once the signature
      //    over the bytes sent has been checked)
      const decoded = await decodeBody(req, service);
      operation = protocol.operationName(decoded);
      const op = operationSchema(service, operation);
      if (!operation || !op) throw unknownOperation(service, operation);
      // An operation without a handler answers 501 whatever its input, so a caller is never
      // told to fix parameters of a call Berth could not serve anyway.
      await handlerFor(service, operation);
      const input = await protocol.parse(decoded, op, service);
      // 5. validate → authorize → 6. dispatch (src/services/invoke.ts, shared with the internal client)
      const ctx: RequestContext = {
        requestId, account: principal.account, region: resolved.region, accessKeyId: principal.accessKeyId,
        principalArn: principal.arn, service: service.name, operation, app, protocol: service.protocol, origin: req.origin,
      };
      const output = await invoke(service, op, operation, input, ctx);
      // 7. serialize
      return protocol.serialize(output, op, service, requestId);
    } catch (err) {
      const error = err instanceof AwsError ? err : internalError();
      if (!(err instanceof AwsError)) console.error(`${service.name}:${operation ?? '?'} failed`, err);
      return protocol.serializeError(error, service, requestId, operation);
    }
  };
}
function unknownOperation(service: ServiceDef, operation: string | undefined) {
  if (service.protocol.startsWith('awsJson')) {
    return new AwsError('UnknownOperationException', `Unknown operation ${operation ?? '(none)'} for ${service.name}`);
  }
  if (!operation) return new AwsError('MissingAction', 'The request must contain the parameter Action.');
  return new AwsError('InvalidAction', `The action ${operation} is not valid for this web service.`);
}

function unknownService(req: RawRequest, requested: string, requestId: string): WireResponse {
  const err = new AwsError('NotImplemented', `Service '${requested}' is not implemented in Berth yet`, 501, 'server');
  const json = (req.headers['content-type'] ?? '').includes('json') || req.headers['x-amz-target'] !== undefined;
  if (json) {
    return { status: err.status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.code },
      body: JSON.stringify({ __type: err.code, message: err.message }) };
  }
  return { status: err.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse><Error><Type>Receiver</Type><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>` };
}

// awsQuery (IAM, STS, ELBv2, SNS…) and ec2Query: form-encoded `Action=…&Version=…` requests,
// XML responses. awsQuery wraps results in <OpResponse><OpResult>…</OpResult><ResponseMetadata>
// and errors in <ErrorResponse>; ec2Query has no Result wrapper, `item` lists, and errors in
// <Response><Errors><Error>.
import { XmlShapeSerializer } from '@aws-sdk/core';
import { NormalizedSchema } from '@smithy/core/schema';
import { AwsError } from '../common/errors.js';
import { reviveTimestamps } from './timestamps.js';
import type { OperationSchema, Protocol, RawRequest, WireResponse, ProtocolService } from './types.js';

export const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Form parameters: the body of a POST, or the query string of a GET. */
export function formParams(req: RawRequest): URLSearchParams {
  const type = req.headers['content-type'] ?? '';
  if (req.method === 'POST' && type.startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(req.body.toString('utf8'));
  }
  return req.query;
}

type Flavor = 'query' | 'ec2';

function memberKey(name: string, ns: NormalizedSchema, flavor: Flavor): string {
  const traits = ns.getMergedTraits() as Record<string, unknown>;
  if (flavor === 'ec2') {
    if (typeof traits.ec2QueryName === 'string') return traits.ec2QueryName;
    const xmlName = typeof traits.xmlName === 'string' ? traits.xmlName : name;
    return xmlName[0].toUpperCase() + xmlName.slice(1);
  }
  return typeof traits.xmlName === 'string' ? traits.xmlName : name;
}

function readValue(params: URLSearchParams, prefix: string, ns: NormalizedSchema, flavor: Flavor, keys: string[]): unknown {
  if (ns.isStructSchema()) {
    // Members of a nested structure (or of a list item, given as `List.member.1.`) are `<prefix>.<Member>`.
    const base = prefix && !prefix.endsWith('.') ? `${prefix}.` : prefix;
    const out: Record<string, unknown> = {};
    for (const [name, member] of ns.structIterator()) {
      const v = readValue(params, `${base}${memberKey(name, member, flavor)}`, member, flavor, keys);
      if (v !== undefined) out[name] = v;
    }
    return base && !keys.some((k) => k.startsWith(base)) ? undefined : out;
  }
  if (ns.isListSchema()) {
    const traits = ns.getMergedTraits() as Record<string, unknown>;
    const item = ns.getValueSchema();
    const base = flavor === 'ec2' || traits.xmlFlattened ? prefix : `${prefix}.member`;
    if (params.get(prefix) === '' && flavor === 'query') return [];
    const out: unknown[] = [];
    for (let i = 1; ; i++) {
      const key = `${base}.${i}`;
      if (!keys.some((k) => k === key || k.startsWith(`${key}.`))) break;
      out.push(readValue(params, item.isStructSchema() ? `${key}.` : key, item, flavor, keys));
    }
    return out.length ? out : undefined;
  }
  if (ns.isMapSchema()) {
    const traits = ns.getMergedTraits() as Record<string, unknown>;
    const base = traits.xmlFlattened ? prefix : `${prefix}.entry`;
    const out: Record<string, unknown> = {};
    for (let i = 1; params.has(`${base}.${i}.key`); i++) {
      out[params.get(`${base}.${i}.key`)!] = readValue(params, `${base}.${i}.value`, ns.getValueSchema(), flavor, keys);
    }
    return Object.keys(out).length ? out : undefined;
  }
  const raw = params.get(prefix.endsWith('.') ? prefix.slice(0, -1) : prefix);
  if (raw === null) return undefined;
  if (ns.isBooleanSchema()) return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (ns.isNumericSchema()) return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (ns.isTimestampSchema()) { const d = new Date(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : raw); return d; }
  return raw;
}

function parseForm(params: URLSearchParams, op: OperationSchema, flavor: Flavor) {
  const ns = NormalizedSchema.of(op[4] as never);
  const keys = [...params.keys()];
  const out: Record<string, unknown> = {};
  for (const [name, member] of ns.structIterator()) {
    const key = memberKey(name, member, flavor);
    const v = readValue(params, member.isStructSchema() ? `${key}.` : key, member, flavor, keys);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function renderInner(output: unknown, op: OperationSchema, service: ProtocolService, flavor: Flavor): string {
  const serializer = new XmlShapeSerializer({
    timestampFormat: { useTrait: true, default: 5 },
    xmlNamespace: service.xmlNamespace ?? '',
    serviceNamespace: op[1],
  });
  (serializer as unknown as { write(s: unknown, v: unknown): void }).write(op[5], reviveTimestamps(output ?? {}, op[5]));
  const xml = String(serializer.flush());
  // The serializer renders <OutputShape xmlns="…">members</OutputShape>: keep the members.
  const open = xml.indexOf('>');
  const close = xml.lastIndexOf('</');
  if (xml.endsWith('/>') || open < 0 || close < open) return '';
  void flavor;
  return xml.slice(open + 1, close);
}

export function queryProtocol(flavor: Flavor): Protocol {
  return {
    accepts: (req) => formParams(req).has('Action'),

    operationName(req: RawRequest) {
      return formParams(req).get('Action') ?? undefined;
    },

    async parse(req: RawRequest, op: OperationSchema) {
      return parseForm(formParams(req), op, flavor);
    },

    serialize(output: unknown, op: OperationSchema, service: ProtocolService, requestId: string): WireResponse {
      const name = op[2];
      const ns = service.xmlNamespace ? ` xmlns="${service.xmlNamespace}"` : '';
      // An operation without output (IAM's AttachUserPolicy…) answers only its response metadata.
      if (flavor === 'query' && NormalizedSchema.of(op[5] as Parameters<typeof NormalizedSchema.of>[0]).isUnitSchema()) {
        return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
          body: `<${name}Response${ns}><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>` };
      }
      const inner = renderInner(output, op, service, flavor);
      const body = flavor === 'ec2'
        ? `<?xml version="1.0" encoding="UTF-8"?>\n<${name}Response${ns}><requestId>${requestId}</requestId>${inner}</${name}Response>`
        : `<${name}Response${ns}><${name}Result>${inner}</${name}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`;
      return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
    },

    serializeError(err: AwsError, service: ProtocolService, requestId: string): WireResponse {
      const code = escapeXml(err.code);
      const message = escapeXml(err.message);
      const body = flavor === 'ec2'
        ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
        : `<ErrorResponse xmlns="${service.xmlNamespace ?? ''}"><Error><Type>${err.fault === 'server' ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status: err.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
    },
  };
}

import { jsonProtocol } from './json.js';
import { queryProtocol } from './query.js';
import type { Protocol, ProtocolName } from './types.js';

export const protocols: Record<ProtocolName, Protocol> = {
  awsJson1_0: jsonProtocol('1.0'),
  awsJson1_1: jsonProtocol('1.1'),
  awsQuery: queryProtocol('query'),
  ec2Query: queryProtocol('ec2'),
};

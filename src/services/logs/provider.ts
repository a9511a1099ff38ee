// CloudWatch Logs operations → handlers.
import type * as Logs from '@aws-sdk/client-cloudwatch-logs';
import { handlersOf, type Provider } from '../types.js';
import { getLogEvents, putLogEvents } from './events.js';
import { filterLogEvents } from './filter.js';
import {
  associateKmsKey, createLogGroup, deleteLogGroup, deleteRetentionPolicy, describeLogGroups, disassociateKmsKey, listTagsForResource,
  listTagsLogGroup, putRetentionPolicy, tagLogGroup, tagResource, untagLogGroup, untagResource,
} from './groups.js';
import { deleteMetricFilter, describeMetricFilters, putMetricFilter, testMetricFilter } from './metric-filters.js';
import { createLogStream, deleteLogStream, describeLogStreams } from './streams.js';

export const provider = {
  createLogGroup, deleteLogGroup, describeLogGroups, putRetentionPolicy, deleteRetentionPolicy, associateKmsKey, disassociateKmsKey,
  tagResource, untagResource, listTagsForResource, tagLogGroup, untagLogGroup, listTagsLogGroup,
  createLogStream, deleteLogStream, describeLogStreams,
  putLogEvents, getLogEvents, filterLogEvents,
  putMetricFilter, deleteMetricFilter, describeMetricFilters, testMetricFilter,
} satisfies Provider<typeof Logs>;
export const handlers = handlersOf<typeof Logs>(provider);

// ECS operation name → handler. Each resource file owns its operations; this file only maps them.
import type { Handlers } from '../types.js';
import * as clusters from './clusters.js';

export const handlers: Handlers = {
  ...clusters,
};

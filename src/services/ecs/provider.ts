// ECS operation name → handler. Each resource file exports its operations' handlers (camelCase
// operation names) and nothing else; this file only merges them.
import type { Handlers } from '../types.js';
import * as accountSettings from './api/account-settings.js';
import * as agentApi from './api/agent-api.js';
import * as attributes from './api/attributes.js';
import * as capacityProviders from './api/capacity-providers.js';
import * as clusters from './api/clusters.js';
import * as containerInstances from './api/container-instances.js';
import * as services from './api/services.js';
import * as tags from './api/tags.js';
import * as taskDefinitions from './api/task-definitions.js';
import * as tasks from './api/tasks.js';

export const handlers: Handlers = {
  ...accountSettings, ...agentApi, ...attributes, ...capacityProviders, ...clusters, ...containerInstances,
  ...services, ...tags, ...taskDefinitions, ...tasks,
} as Handlers;

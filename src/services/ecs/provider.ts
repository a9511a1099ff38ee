// ECS operation name → handler. Each resource file exports its operations' handlers (camelCase
// operation names) and nothing else; this file only merges them.
import type { Handlers } from '../types.js';
import * as accountSettings from './account-settings.js';
import * as agentApi from './agent-api.js';
import * as attributes from './attributes.js';
import * as capacityProviders from './capacity-providers.js';
import * as clusters from './clusters.js';
import * as containerInstances from './container-instances.js';
import * as services from './services.js';
import * as tags from './tags.js';
import * as taskDefinitions from './task-definitions.js';
import * as tasks from './tasks.js';

export const handlers: Handlers = {
  ...accountSettings, ...agentApi, ...attributes, ...capacityProviders, ...clusters, ...containerInstances,
  ...services, ...tags, ...taskDefinitions, ...tasks,
} as Handlers;

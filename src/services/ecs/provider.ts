// ECS operation name → handler. Each resource file under api/ exports its operations' handlers
// (camelCase operation names) and nothing else; this file merges them and checks every one against
// the SDK's command types: a misspelled operation or a wrong output member fails tsc.
import type * as Ecs from '@aws-sdk/client-ecs';
import { handlersOf, type Provider } from '../types.js';
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

export const provider = {
  ...accountSettings, ...agentApi, ...attributes, ...capacityProviders, ...clusters, ...containerInstances,
  ...services, ...tags, ...taskDefinitions, ...tasks,
} satisfies Provider<typeof Ecs>;

export const handlers = handlersOf<typeof Ecs>(provider);

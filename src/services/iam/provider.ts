// IAM's operations: users, access keys and groups (users.ts), roles and instance profiles
// (roles.ts), managed and inline policies with their versions (policies.ts).
import type * as Iam from '@aws-sdk/client-iam';
import { handlersOf, type Provider } from '../types.js';
import { policies } from './policies.js';
import { roles } from './roles.js';
import { users } from './users.js';

export const provider = { ...users, ...roles, ...policies } satisfies Provider<typeof Iam>;
export const handlers = handlersOf<typeof Iam>(provider);

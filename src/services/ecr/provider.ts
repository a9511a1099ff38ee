// ECR operation name → handler, checked against the SDK's command types.
import type * as Ecr from '@aws-sdk/client-ecr';
import { handlersOf, type Provider } from '../types.js';
import * as images from './images.js';
import * as layers from './layers.js';
import * as lifecycle from './lifecycle.js';
import * as repositories from './repositories.js';

const { repositoryView: _r, ...repositoryOps } = repositories;
const { imageDetail: _i, ...imageOps } = images;
const { PART_SIZE: _p, ...layerOps } = layers;
const { applyLifecycle: _a, applyAllLifecycles: _aa, ...lifecycleOps } = lifecycle;

export const provider = { ...repositoryOps, ...imageOps, ...layerOps, ...lifecycleOps } satisfies Provider<typeof Ecr>;
export const handlers = handlersOf<typeof Ecr>(provider);

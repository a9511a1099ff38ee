// A complete ContainerSpec with neutral defaults, for runtime tests (and the agent's).
import type { ContainerSpec } from './types.js';

export function testSpec(name: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name,
    image: 'berth-test/busybox:latest',
    environment: {},
    networkMode: 'bridge',
    portBindings: [],
    mounts: [],
    volumesFrom: [],
    links: [],
    extraHosts: [],
    ulimits: [],
    privileged: false,
    readonlyRootFilesystem: false,
    labels: {},
    stopTimeout: 30,
    pullBehavior: 'prefer-cached',
    ...overrides,
  };
}

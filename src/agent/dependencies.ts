// Container ordering as the ECS agent does it: a container starts once every dependsOn condition
// holds (START: the dependency has started; COMPLETE: it has exited; SUCCESS: it exited 0;
// HEALTHY: its health check passes), after the containers it links to are running and the ones
// it takes volumes from exist. Shutdown runs the same graph backwards: dependents stop first.
import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import type { ContainerState, TaskState } from './task-state.js';

export type Readiness = { kind: 'ready' } | { kind: 'wait'; on: string } | { kind: 'fail'; reason: string };

const READY: Readiness = { kind: 'ready' };

/** What a container's start is waiting for, resolved against the task's current container states. */
export function readiness(task: TaskState, def: ContainerDefinition): Readiness {
  const get = (name: string) => task.containers.find((c) => c.name === name);
  for (const dep of def.dependsOn ?? []) {
    const d = get(dep.containerName ?? '');
    if (!d) return { kind: 'fail', reason: `DependencyError: container '${def.name}' depends on '${dep.containerName}', which is not in the task` };
    const r = condition(def.name ?? '', d, dep.condition ?? 'START');
    if (r.kind !== 'ready') return r;
  }
  for (const link of def.links ?? []) {
    const name = link.split(':')[0];
    const d = get(name);
    if (d && !(d.known === 'RUNNING')) {
      if (d.known === 'STOPPED') return { kind: 'fail', reason: `DependencyError: container '${def.name}' links to '${name}', which has stopped` };
      return { kind: 'wait', on: `${name} running (link)` };
    }
  }
  for (const vf of def.volumesFrom ?? []) {
    const d = get(vf.sourceContainer ?? '');
    if (d && !d.runtimeId) {
      if (d.known === 'STOPPED') return { kind: 'fail', reason: `DependencyError: container '${def.name}' takes volumes from '${d.name}', which could not be created` };
      return { kind: 'wait', on: `${d.name} created (volumesFrom)` };
    }
  }
  return READY;
}

function condition(target: string, d: ContainerState, cond: string): Readiness {
  const exited = d.known === 'STOPPED';
  switch (cond) {
    case 'START':
      if (d.everStarted) return READY;
      return exited ? fail(target, d, cond, 'stopped before it started') : { kind: 'wait', on: `${d.name} START` };
    case 'COMPLETE':
      if (exited && d.everStarted) return READY;
      return exited ? fail(target, d, cond, 'never ran') : { kind: 'wait', on: `${d.name} COMPLETE` };
    case 'SUCCESS':
      if (exited && d.exitCode === 0) return READY;
      return exited ? fail(target, d, cond, `exited with code ${d.exitCode ?? 'unknown'}`) : { kind: 'wait', on: `${d.name} SUCCESS` };
    case 'HEALTHY':
      if (d.health === 'HEALTHY') return READY;
      if (!d.hasHealthCheck) return fail(target, d, cond, 'has no health check');
      if (exited) return fail(target, d, cond, 'stopped');
      if (d.health === 'UNHEALTHY') return fail(target, d, cond, 'is unhealthy');
      return { kind: 'wait', on: `${d.name} HEALTHY` };
    default:
      return fail(target, d, cond, 'has an unknown condition');
  }
}

const fail = (target: string, d: ContainerState, cond: string, what: string): Readiness =>
  ({ kind: 'fail', reason: `DependencyError: container '${target}' needs '${d.name}' to be ${cond}, but '${d.name}' ${what}` });

/** Names of the containers a container waits for (dependsOn, links, volumesFrom). */
export function dependencies(def: ContainerDefinition): string[] {
  return [
    ...(def.dependsOn ?? []).map((d) => d.containerName ?? ''),
    ...(def.links ?? []).map((l) => l.split(':')[0]),
    ...(def.volumesFrom ?? []).map((v) => v.sourceContainer ?? ''),
  ].filter((n) => n !== '');
}

/** The task's containers in stop order, as waves that may stop together: dependents before what
 *  they depend on (a dependency cycle, which registration rejects, falls back to one last wave). */
export function stopWaves(td: TaskDefinition): string[][] {
  const defs = td.containerDefinitions ?? [];
  const remaining = new Set(defs.map((d) => d.name ?? ''));
  const waves: string[][] = [];
  while (remaining.size > 0) {
    // A container can stop now when no remaining container depends on it.
    const wave = [...remaining].filter((name) => !defs.some((d) => remaining.has(d.name ?? '') && dependencies(d).includes(name)));
    if (wave.length === 0) { waves.push([...remaining]); break; }
    for (const n of wave) remaining.delete(n);
    waves.push(wave);
  }
  return waves;
}

// The task definition's requiresAttributes (e.g. com.amazonaws.ecs.capability.docker-remote-api.1.19,
// ecs.capability.task-eni): an instance without one of them fails with ECS's ATTRIBUTE reason.
// Also Berth's host protection (README, "Host protection"): an agent started with
// --disable-host-network registers the attribute berth.host-network=disabled, one started with
// --allowed-bind-mounts registers berth.allowed-bind-mounts=<path>[:<path>]; a task using networkMode
// host, or bind-mounting a host path outside the list, fails there with ATTRIBUTE naming it.
import { REASON } from '../reasons.js';
import type { HostAccess } from '../types.js';
import { BIND_MOUNTS_ATTRIBUTE, bindMountAllowed, HOST_NETWORK_ATTRIBUTE, parseAllowedBindMounts } from '../../common/host-protection.js';
import type { FeasibilityStage } from './stage.js';

function hostRejection(attrs: ReadonlyMap<string, string | undefined>, access: HostAccess | undefined): string | undefined {
  if (!access) return undefined;
  if (access.network && attrs.get(HOST_NETWORK_ATTRIBUTE) === 'disabled') {
    return `the instance refuses networkMode host (attribute ${HOST_NETWORK_ATTRIBUTE}=disabled)`;
  }
  const allowed = attrs.get(BIND_MOUNTS_ATTRIBUTE);
  if (allowed === undefined || access.bindMounts.length === 0) return undefined;
  const list = parseAllowedBindMounts(allowed === 'none' ? '' : allowed);
  const refused = access.bindMounts.find((p) => !bindMountAllowed(p, list));
  return refused === undefined ? undefined : `the instance does not allow the host bind mount ${refused} (attribute ${BIND_MOUNTS_ATTRIBUTE}=${allowed})`;
}

export const attributesStage: FeasibilityStage = {
  name: 'attributes',
  dynamic: () => false,
  monotone: true,
  check(inst, state) {
    for (const required of state.request.requiredAttributes) {
      const have = inst.attrs.get(required.name);
      if (have === undefined) {
        return { stage: 'attributes', reason: REASON.ATTRIBUTE, detail: `the instance lacks the attribute ${required.name}` };
      }
      if (required.value !== undefined && required.value !== have) {
        return {
          stage: 'attributes', reason: REASON.ATTRIBUTE,
          detail: `the attribute ${required.name} is '${have}', the task definition requires '${required.value}'`,
        };
      }
    }
    const host = hostRejection(inst.attrs, state.request.hostAccess);
    if (host) return { stage: 'attributes', reason: REASON.ATTRIBUTE, detail: host };
    return undefined;
  },
};

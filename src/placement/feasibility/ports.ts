// Fixed host ports (TCP and UDP) must be free on the instance. ECS reports both as RESOURCE:PORTS.
import { REASON } from '../reasons.js';
import type { FeasibilityStage } from './stage.js';

export const portsStage: FeasibilityStage = {
  name: 'ports',
  dynamic: (request) => request.needs.ports.length + request.needs.portsUdp.length > 0,
  monotone: true,
  check(inst, state) {
    const { ports, portsUdp } = state.request.needs;
    for (const p of ports) if (inst.tcp.has(p)) return { stage: 'ports', reason: REASON.PORTS, detail: `host port ${p}/tcp is taken` };
    for (const p of portsUdp) if (inst.udp.has(p)) return { stage: 'ports', reason: REASON.PORTS, detail: `host port ${p}/udp is taken` };
    return undefined;
  },
};

// ECS's failure reasons for RunTask/StartTask (`failures[].reason`), as ECS spells them
// (developer guide "API failure reasons"; the constraint ones as ECS returns them, trailing
// period included).

export const REASON = {
  CPU: 'RESOURCE:CPU',
  MEMORY: 'RESOURCE:MEMORY',
  /** UDP clashes are PORTS too: ECS has no separate reason. */
  PORTS: 'RESOURCE:PORTS',
  /** The instance's agent is disconnected. */
  AGENT: 'AGENT',
  /** The task definition requires an attribute the instance does not have. */
  ATTRIBUTE: 'ATTRIBUTE',
  /** The instance was deregistered (ECS's StartTask reason). */
  INACTIVE: 'INACTIVE',
  /** Berth's word for an ACTIVE-only rule on a DRAINING instance (ECS places nothing there). */
  DRAINING: 'DRAINING',
  MEMBER_OF: 'MemberOf placement constraint unsatisfied.',
  DISTINCT_INSTANCE: 'DistinctInstance placement constraint unsatisfied.',
} as const;

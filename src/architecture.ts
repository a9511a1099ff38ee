// The allowed imports between Berth's parts (STYLE point 17), checked by
// src/testing/architecture.test.ts over the real import graph of every production file (tests,
// conformance cases (*.case.ts), src/testing/ and src/bench/ may import anything). README
// § Architecture explains the layers.
//
//   common      ← everything; imports nothing of Berth's but the store's types
//   store       ← services, server; imports common only
//   placement   pure: a function of a snapshot; imports common only (never the store)
//   protocol    wire formats (AWS protocols, the agent protocol); knows no service
//   gateway     HTTP → the stage chain; knows services only through the services layer
//   services/*.ts   the services layer: the contract, contexts, internal client, registry
//   services/<svc>/ one service; never imports another service nor the gateway's HTTP
//   agent       a host's agent: talks to the server over the wire only (protocol + SDK)
//   server, cli the composition roots

export interface Rule {
  /** Why, in one line (printed with each violation). */
  why: string;
  /** The importing file matches… */
  from: RegExp;
  /** …and the imported file matches… */
  to: RegExp;
  /** …unless the import is allowed by this (e.g. the same service). */
  unless?: (from: string, to: string) => boolean;
}

const serviceOf = (path: string) => /^services\/([^/]+)\//.exec(path)?.[1];
const PRODUCTION_ROOTS = /^(common|store|placement|protocol|gateway|services|agent|server|cli)\//;

export const RULES: readonly Rule[] = [
  { why: 'common is the bottom layer', from: /^common\//, to: /^(?!common\/|store\/types\.ts$)/ },
  { why: 'the store knows nothing above it', from: /^store\//, to: /^(?!(common|store)\/)/ },
  { why: 'placement is a pure function of a snapshot: no store, no services, no I/O layers', from: /^placement\//, to: /^(?!(common|placement)\/)/ },
  { why: 'protocols know wire formats, not services', from: /^protocol\//, to: /^(services|gateway|server|store|agent|placement|cli)\// },
  { why: 'the gateway reaches services only through the services layer', from: /^gateway\//, to: /^(services\/[^/]+\/|server\/|cli\/|agent\/|placement\/)/ },
  { why: 'a service never imports another service', from: /^services\/[^/]+\//, to: /^services\/[^/]+\//,
    unless: (from, to) => serviceOf(from) === serviceOf(to) },
  { why: 'services never import the gateway, the server or the CLI', from: /^services\//, to: /^(gateway|server|cli)\// },
  { why: 'the services layer names no service (only the registry does)', from: /^services\/(?!registry\.ts)[^/]+\.ts$/, to: /^services\/[^/]+\// },
  { why: 'the agent talks to the server over the wire only', from: /^agent\//, to: /^(server|gateway|services|store|cli)\// },
  { why: 'production code never imports test fixtures or benchmarks', from: PRODUCTION_ROOTS, to: /^(testing|bench)\// },
];

export interface Edge { from: string; to: string }

/** The rules an import graph breaks (paths relative to src/, with their .ts extension). */
export function violations(edges: readonly Edge[], rules: readonly Rule[] = RULES): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    if (!PRODUCTION_ROOTS.test(from) || /\.(test|case)\.ts$/.test(from)) continue;
    for (const rule of rules) {
      if (rule.from.test(from) && rule.to.test(to) && !rule.unless?.(from, to)) out.push(`${from} → ${to}: ${rule.why}`);
    }
  }
  return out;
}

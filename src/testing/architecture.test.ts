// The import rules of src/architecture.ts hold over the real import graph of src/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { violations, type Edge } from '../architecture.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function importGraph(): Edge[] {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
  const edges: Edge[] = [];
  for (const file of walk(SRC)) {
    const from = relative(SRC, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, ''); // comments are not imports
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const to = posix.normalize(posix.join(posix.dirname(from), m[1])).replace(/\.js$/, '.ts');
      edges.push({ from, to });
    }
  }
  return edges;
}

describe('architecture', () => {
  const edges = importGraph();

  it('reads the real import graph', () => {
    assert.ok(edges.length > 300, `only ${edges.length} imports found: is src/ where the test looks (${SRC})?`);
    assert.ok(edges.some((e) => e.from === 'server/berth.ts' && e.to === 'services/registry.ts'));
  });

  it('no import breaks a rule', () => {
    assert.deepEqual(violations(edges), []);
  });

  it('a forbidden edge is reported, one per broken rule', () => {
    const forbidden: Edge[] = [
      { from: 'placement/stack.ts', to: 'store/types.ts' },
      { from: 'services/ecs/api/tasks.ts', to: 'services/sts/provider.ts' },
      { from: 'services/ecs/acs/acs-server.ts', to: 'gateway/auth.ts' },
      { from: 'protocol/json.ts', to: 'services/types.ts' },
      { from: 'agent/agent.ts', to: 'server/berth.ts' },
      { from: 'gateway/pipeline.ts', to: 'services/ecs/provider.ts' },
      { from: 'services/ecs/api/tasks.ts', to: 'testing/harness.ts' },
    ];
    for (const edge of forbidden) assert.equal(violations([edge]).length, 1, `${edge.from} → ${edge.to}`);
    // Allowed: within one service, tests, the services layer.
    assert.deepEqual(violations([
      { from: 'services/ecs/api/tasks.ts', to: 'services/ecs/model/task-store.ts' },
      { from: 'services/ecs/api/tasks.test.ts', to: 'testing/harness.ts' },
      { from: 'services/ecs/api/tasks.ts', to: 'services/context.ts' },
      { from: 'gateway/pipeline.ts', to: 'services/invoke.ts' },
    ]), []);
  });
});

#!/usr/bin/env node
// Runs every compiled *.test.js under dist/ with Node's test runner (Node 20 takes no globs).
// Usage: node scripts/test.mjs [substring…] — only test files whose path contains a substring.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : []);
const filters = process.argv.slice(2);
const files = walk('dist').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// The SDK's notice that its 2027 releases need Node 22 (the lockfile pins the SDK): not test output.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env };
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit', env });
process.exit(result.status ?? 1);

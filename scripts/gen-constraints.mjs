#!/usr/bin/env node
// Generates src/services/<svc>/constraints.json from botocore's service model: the enum value
// sets the SDK's runtime schemas leave out. Keys are `Structure.member` (or `Structure.member[]`
// for a list of enum values). Usage: node scripts/gen-constraints.mjs ecs sts
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';

const dataDir = process.env.BOTOCORE_DATA ?? join(execFileSync('python3', ['-c',
  'import botocore,os;print(os.path.dirname(botocore.__file__))']).toString().trim(), 'data');
for (const svc of process.argv.slice(2)) {
  const versions = readdirSync(join(dataDir, svc)).sort();
  const model = JSON.parse(gunzipSync(readFileSync(join(dataDir, svc, versions.at(-1), 'service-2.json.gz'))).toString());
  const out = {};
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (shape.type !== 'structure') continue;
    for (const [member, ref] of Object.entries(shape.members ?? {})) {
      const target = model.shapes[ref.shape];
      if (target.enum) out[`${name}.${member}`] = target.enum;
      else if (target.type === 'list' && model.shapes[target.member.shape].enum) out[`${name}.${member}[]`] = model.shapes[target.member.shape].enum;
    }
  }
  writeFileSync(join('src/services', svc, 'constraints.json'), JSON.stringify(out, null, 0).replace(/\],"/g, '],\n"') + '\n');
  console.log(`${svc}: ${Object.keys(out).length} enum members`);
}

// Lifecycle policy rules: validation and evaluation, as pure functions of the policy text, the
// repository's images and the time. AWS's semantics: rules apply in rulePriority order; an image
// matched by a rule's selection is not considered by rules of lower priority; within a rule,
// imageCountMoreThan keeps the N most recently pushed matches, sinceImagePushed expires matches
// pushed more than N days ago; `tagged` rules select images having a tag matching every listed
// prefix (tagPrefixList) or pattern (tagPatternList, `*` wildcards); an `any` rule comes last.
import { AwsError } from '../../common/errors.js';
import { wildcard, type ImageRecord } from './model.js';

export interface Rule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: 'tagged' | 'untagged' | 'any';
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: 'imageCountMoreThan' | 'sinceImagePushed';
    countUnit?: 'days';
    countNumber: number;
  };
  action: { type: 'expire' };
}

const fail = (why: string) => new AwsError('InvalidParameterException',
  `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${why}'`);

const strings = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0);

/** The policy's rules in priority order; InvalidParameterException naming what is wrong. */
export function parsePolicy(text: string): Rule[] {
  if (text.length < 100 || text.length > 30720) throw fail(`the policy text must be 100 to 30720 characters long (it is ${text.length})`);
  let doc: { rules?: unknown };
  try { doc = JSON.parse(text) as { rules?: unknown }; } catch { throw fail('the policy is not valid JSON'); }
  if (!doc || !Array.isArray(doc.rules) || doc.rules.length === 0) throw fail('object has missing required properties (["rules"])');
  const rules = doc.rules as Rule[];
  const seen = new Set<number>();
  for (const r of rules) {
    const s = r?.selection;
    if (!Number.isInteger(r?.rulePriority) || r.rulePriority < 1) throw fail('rulePriority must be a positive integer');
    if (seen.has(r.rulePriority)) throw fail(`rulePriority ${r.rulePriority} is used by more than one rule`);
    seen.add(r.rulePriority);
    if (!s || !['tagged', 'untagged', 'any'].includes(s.tagStatus)) throw fail(`rule ${r.rulePriority}: selection.tagStatus must be tagged, untagged or any`);
    if (s.tagStatus === 'tagged') {
      if (s.tagPrefixList === undefined && s.tagPatternList === undefined) throw fail(`rule ${r.rulePriority}: tagPrefixList or tagPatternList is required when tagStatus is tagged`);
      if (s.tagPrefixList !== undefined && s.tagPatternList !== undefined) throw fail(`rule ${r.rulePriority}: tagPrefixList and tagPatternList cannot both be given`);
      if (s.tagPrefixList !== undefined && !strings(s.tagPrefixList)) throw fail(`rule ${r.rulePriority}: tagPrefixList must be a non-empty list of strings`);
      if (s.tagPatternList !== undefined && !strings(s.tagPatternList)) throw fail(`rule ${r.rulePriority}: tagPatternList must be a non-empty list of strings`);
      if ((s.tagPatternList ?? []).some((p) => p.split('*').length > 5)) throw fail(`rule ${r.rulePriority}: a tag pattern may contain at most 4 wildcards`);
    } else if (s.tagPrefixList !== undefined || s.tagPatternList !== undefined) {
      throw fail(`rule ${r.rulePriority}: tagPrefixList and tagPatternList are only allowed when tagStatus is tagged`);
    }
    if (s.countType === 'imageCountMoreThan') {
      if (s.countUnit !== undefined) throw fail(`rule ${r.rulePriority}: countUnit is not allowed with countType imageCountMoreThan`);
    } else if (s.countType === 'sinceImagePushed') {
      if (s.countUnit !== 'days') throw fail(`rule ${r.rulePriority}: countUnit must be days with countType sinceImagePushed`);
    } else {
      throw fail(`rule ${r.rulePriority}: selection.countType must be imageCountMoreThan or sinceImagePushed`);
    }
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1) throw fail(`rule ${r.rulePriority}: countNumber must be a positive integer`);
    if (r.action?.type !== 'expire') throw fail(`rule ${r.rulePriority}: action.type must be expire`);
  }
  const sorted = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const anyRule = sorted.findIndex((r) => r.selection.tagStatus === 'any');
  if (anyRule >= 0 && anyRule !== sorted.length - 1) throw fail('a rule with tagStatus any must have the highest rulePriority');
  return sorted;
}

function selects(rule: Rule, image: ImageRecord): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'untagged') return image.tags.length === 0;
  if (s.tagStatus === 'any') return true;
  if (image.tags.length === 0) return false;
  if (s.tagPrefixList) return s.tagPrefixList.every((p) => image.tags.some((t) => t.startsWith(p)));
  return s.tagPatternList!.every((p) => image.tags.some((t) => wildcard(p).test(t)));
}

export interface Expiry { image: ImageRecord; rulePriority: number }

/** The images the rules expire now, each with the rule that expires it. */
export function evaluate(rules: Rule[], images: ImageRecord[], now: Date): Expiry[] {
  const newestFirst = [...images].sort((a, b) => b.pushedAt.localeCompare(a.pushedAt) || a.digest.localeCompare(b.digest));
  const claimed = new Set<string>();
  const out: Expiry[] = [];
  for (const rule of rules) {
    const matches = newestFirst.filter((i) => !claimed.has(i.digest) && selects(rule, i));
    for (const i of matches) claimed.add(i.digest);
    const s = rule.selection;
    const expired = s.countType === 'imageCountMoreThan' ? matches.slice(s.countNumber)
      : matches.filter((i) => new Date(i.pushedAt).getTime() < now.getTime() - s.countNumber * 86_400_000);
    for (const image of expired) out.push({ image, rulePriority: rule.rulePriority });
  }
  return out;
}

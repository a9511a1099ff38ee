// `matches` takes a java.util.regex.Pattern and, like Java's String.matches, the WHOLE value must
// match (`t2.*` matches t2.micro; `t2` does not match t2.micro). JavaScript's RegExp reads most
// Java patterns the same way; this translates the Java-only spellings that have a JavaScript
// equivalent and refuses, with a clear message, the few that have none (possessive quantifiers,
// atomic groups, class intersections, nested classes, mid-pattern flags).
import { invalidAt } from './lexer.js';

/** Java's POSIX character classes (\p{Alpha}…), as the body of a JavaScript character class. */
const POSIX: Record<string, string> = {
  Lower: 'a-z', Upper: 'A-Z', ASCII: '\\x00-\\x7F', Alpha: 'a-zA-Z', Digit: '0-9', Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~', Graph: '!-~', Print: ' -~', Blank: ' \\t', Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F', Space: ' \\t\\n\\x0B\\f\\r', L: 'a-zA-Z', N: '0-9',
  javaLowerCase: 'a-z', javaUpperCase: 'A-Z', javaWhitespace: ' \\t\\n\\x0B\\f\\r',
};
const HORIZONTAL_SPACE = ' \\t\\xA0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000';
const escapeLiteral = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** The JavaScript RegExp for a Java pattern, anchored for a full match. `pos` places errors. */
export function javaRegex(pattern: string, pos: number): RegExp {
  const fail = (at: number, why: string): never => {
    throw invalidAt(pos + at, `the regular expression '${pattern}' ${why}`);
  };
  let flags = '';
  let i = 0;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 's' || f === 'm') flags += flags.includes(f) ? '' : f;
      else if (f !== 'u' && f !== 'd') fail(0, `uses the flag (?${f}), which Berth does not support (supported: i, s, m).`);
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  let classStart = -1;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) fail(i, 'ends with a lone backslash.');
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        out += escapeLiteral(literal);
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if (n === 'p' || n === 'P') {
        const m = /^\{(\w+)\}|^(\w)/.exec(pattern.slice(i + 2));
        const name = m?.[1] ?? m?.[2];
        const body = name === undefined ? undefined : POSIX[name.replace(/^Is/, '')];
        if (body === undefined) fail(i, `uses the class \\${n}${m?.[0] ?? ''}, which Berth does not support.`);
        if (inClass && n === 'P') fail(i, 'negates a class (\\P) inside brackets, which Berth does not support.');
        out += inClass ? body : n === 'P' ? `[^${body}]` : `[${body}]`;
        i += 1 + m![0].length;
        continue;
      }
      if (n === 'h' || n === 'H') {
        out += inClass ? (n === 'h' ? HORIZONTAL_SPACE : fail(i, 'uses \\H inside brackets, which Berth does not support.'))
          : n === 'h' ? `[${HORIZONTAL_SPACE}]` : `[^${HORIZONTAL_SPACE}]`;
        i++;
        continue;
      }
      if (!inClass && n === 'A') { out += '^'; i++; continue; }
      if (!inClass && (n === 'z' || n === 'Z')) { out += n === 'z' ? '$' : '(?=\\n?$)'; i++; continue; }
      if (n === 'e') { out += '\\x1B'; i++; continue; }
      if (n === 'a') { out += '\\x07'; i++; continue; }
      if (n === '0') {
        const oct = /^[0-7]{1,3}/.exec(pattern.slice(i + 2))?.[0];
        if (!oct || parseInt(oct, 8) > 0o377) fail(i, 'has an invalid octal escape.');
        out += `\\x${parseInt(oct!, 8).toString(16).padStart(2, '0')}`;
        i += 1 + oct!.length;
        continue;
      }
      if ('GRXNK'.includes(n)) fail(i, `uses \\${n}, which has no JavaScript equivalent.`);
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[') fail(i, 'nests a character class inside another (a Java union), which Berth does not support.');
      if (c === '&' && pattern[i + 1] === '&') fail(i, 'intersects character classes (&&), which Berth does not support.');
      const first = i === classStart + 1 || (i === classStart + 2 && pattern[classStart + 1] === '^');
      if (c === ']' && first) { out += '\\]'; continue; } // Java reads a leading ] as a literal; JavaScript would close
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') { inClass = true; classStart = i; out += c; continue; }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('>')) fail(i, 'uses an atomic group (?>…), which Berth does not support.');
      if (/^[a-zA-Z-]+[:)]/.test(rest) && !rest.startsWith('<')) fail(i, 'sets flags inside the pattern, which Berth does not support (put (?i) at the start).');
    }
    if ('*+?}'.includes(c) && pattern[i + 1] === '+' && !(c === '?' && pattern[i - 1] === '(')) {
      fail(i + 1, 'uses a possessive quantifier (*+, ++, ?+), which Berth does not support.');
    }
    out += c;
  }
  if (inClass) fail(classStart, 'has a character class without its closing ].');
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (e) {
    return fail(0, `is not valid: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}.`);
  }
}

// Reads the tokens of a cluster query expression. The parser drives it (what a token may be
// depends on where it stands: a regular expression argument may hold parentheses, a value may hold
// dots and colons), so this is a scanner over the source with one reader per token kind.
// Positions are 0-based character offsets into the expression.
import { AwsError } from '../../common/errors.js';
import type { Operator } from './ast.js';

export const queryError = (message: string) => new AwsError('InvalidParameterException', message);
export const invalidAt = (pos: number, message: string) => queryError(`Invalid expression at position ${pos}: ${message}`);

/** Characters of a subject: `attribute:<name>` names hold letters, digits, - _ . / \ (ECS's set). */
const SUBJECT_CHAR = /[A-Za-z0-9_.:/\\@-]/;
/** Characters that end an unquoted value. */
const VALUE_STOP = /[\s()[\],'"]/;
const WORD_CHAR = /[A-Za-z0-9_]/;

/** Operators by their spellings, symbols first; longer spellings before their prefixes. */
const SYMBOLS: [string, Operator][] = [
  ['!exists', 'not_exists'], ['!in', 'not_in'], ['==', 'eq'], ['!=', 'ne'], ['>=', 'ge'], ['<=', 'le'],
  ['=~', 'matches'], ['!~', 'not_matches'], ['>', 'gt'], ['<', 'lt'],
];
const WORDS: [string, Operator][] = [
  ['equals', 'eq'], ['not_equals', 'ne'], ['greater_than_equal', 'ge'], ['greater_than', 'gt'],
  ['less_than_equal', 'le'], ['less_than', 'lt'], ['not_exists', 'not_exists'], ['exists', 'exists'],
  ['not_in', 'not_in'], ['in', 'in'], ['not_matches', 'not_matches'], ['matches', 'matches'],
];

export class Scanner {
  pos = 0;
  constructor(readonly src: string) {}

  skipSpace() {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.src.length;
  }

  /** Consumes `symbol` if it comes next. */
  eat(symbol: string): boolean {
    this.skipSpace();
    if (!this.src.startsWith(symbol, this.pos)) return false;
    this.pos += symbol.length;
    return true;
  }

  /** Consumes the keyword `word` if it comes next as a whole word (`not(` and `not x` both count). */
  eatWord(word: string): boolean {
    this.skipSpace();
    if (!this.src.startsWith(word, this.pos)) return false;
    const after = this.src[this.pos + word.length];
    if (after !== undefined && WORD_CHAR.test(after)) return false;
    this.pos += word.length;
    return true;
  }

  /** The next token as a message shows it: 'x', or "the end of the expression". */
  preview(): string {
    this.skipSpace();
    if (this.pos >= this.src.length) return 'the end of the expression';
    const c = this.src[this.pos];
    if ('()[],'.includes(c)) return `'${c}'`;
    let end = this.pos;
    while (end < this.src.length && !/[\s()[\],]/.test(this.src[end])) end++;
    const text = this.src.slice(this.pos, end);
    return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
  }

  /** A subject word (attribute:ecs.instance-type, task:group, runningTasksCount…), or ''. */
  readSubject(): string {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.src.length && SUBJECT_CHAR.test(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** An operator in any of its spellings, or undefined (nothing consumed). */
  readOperator(): { op: Operator; text: string } | undefined {
    this.skipSpace();
    for (const [text, op] of SYMBOLS) {
      if (!this.src.startsWith(text, this.pos)) continue;
      // `!in`/`!exists` are words after the `!`: `!inside` is not `!in` followed by `side`.
      if (/[a-z]$/.test(text) && WORD_CHAR.test(this.src[this.pos + text.length] ?? ' ')) continue;
      this.pos += text.length;
      return { op, text };
    }
    for (const [text, op] of WORDS) {
      if (this.src.startsWith(text, this.pos) && !WORD_CHAR.test(this.src[this.pos + text.length] ?? ' ')) {
        this.pos += text.length;
        return { op, text };
      }
    }
    return undefined;
  }

  /** A quoted ('…' or "…", backslash escapes the quote and itself) or unquoted value, or undefined. */
  readValue(): { text: string; quoted: boolean; pos: number } | undefined {
    this.skipSpace();
    const pos = this.pos;
    const quote = this.src[pos];
    if (quote === '"' || quote === "'") return { text: this.readQuoted(quote), quoted: true, pos };
    let end = pos;
    while (end < this.src.length && !VALUE_STOP.test(this.src[end]) && !this.src.startsWith('&&', end) && !this.src.startsWith('||', end)) end++;
    if (end === pos) return undefined;
    this.pos = end;
    return { text: this.src.slice(pos, end), quoted: false, pos };
  }

  /** A regular expression argument: quoted, or unquoted up to white space or an unbalanced ')'.
   *  Parentheses and brackets inside it are its own (`(t2|m5)\..*`), escapes are kept. */
  readRegex(): { text: string; pos: number } | undefined {
    this.skipSpace();
    const pos = this.pos;
    const quote = this.src[pos];
    if (quote === '"' || quote === "'") return { text: this.readQuoted(quote), pos };
    let depth = 0;
    let inClass = false;
    let end = pos;
    for (; end < this.src.length; end++) {
      const c = this.src[end];
      if (c === '\\') { end++; continue; }
      if (inClass) { if (c === ']') inClass = false; continue; }
      if (c === '[') inClass = true;
      else if (c === '(') depth++;
      else if (c === ')') { if (depth === 0) break; depth--; }
      else if (depth === 0 && (/\s/.test(c) || this.src.startsWith('&&', end) || this.src.startsWith('||', end))) break;
    }
    if (end === pos) return undefined;
    this.pos = Math.min(end, this.src.length);
    return { text: this.src.slice(pos, this.pos), pos };
  }

  private readQuoted(quote: string): string {
    const start = this.pos;
    let out = '';
    for (let i = start + 1; i < this.src.length; i++) {
      const c = this.src[i];
      if (c === '\\' && (this.src[i + 1] === quote || this.src[i + 1] === '\\')) { out += this.src[++i]; continue; }
      if (c === quote) { this.pos = i + 1; return out; }
      out += c;
    }
    throw invalidAt(start, `the quoted value starting here has no closing ${quote}.`);
  }
}

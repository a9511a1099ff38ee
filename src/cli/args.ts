// A small argv parser: --flag value, --flag=value, repeated flags collect into lists, bare --bool.
export interface Args { command?: string; flags: Map<string, string[]>; positionals: string[] }

export function parseArgs(argv: string[], booleans: string[] = ['help']): Args {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      let value: string;
      if (eq > 0) value = a.slice(eq + 1);
      else if (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) value = 'true';
      else value = argv[++i];
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else if (a === '-h') {
      flags.set('help', ['true']);
    } else {
      positionals.push(a);
    }
  }
  return { command: positionals.shift(), flags, positionals };
}

export const flag = (args: Args, name: string) => args.flags.get(name)?.at(-1);
export const flagList = (args: Args, name: string) => args.flags.get(name) ?? [];

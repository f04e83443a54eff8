// runc-compatible argument parsing (CLI.md §1.6): `--x`, `-x`, `--x=v`, `-x=v`, `--x v`, single-
// character aliases, Go-style error wording (Podman's probes grep for it). node:util parseArgs
// cannot do single-dash long flags, so this small parser is ours.

export interface FlagSpec {
  /** Takes a value (otherwise boolean, optionally `--x=true|false`). */
  value?: boolean;
  alias?: string;
  /** May be repeated; values are collected. */
  multi?: boolean;
}

export type FlagTable = Record<string, FlagSpec>;

export interface Parsed {
  flags: Map<string, string[]>;
  positionals: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], table: FlagTable, stopAtPositional: boolean): Parsed {
  const byAlias = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) if (spec.alias) byAlias.set(spec.alias, name);
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++];
    if (arg === "--") {
      positionals.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || (stopAtPositional && positionals.length > 0)) {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const key = eq < 0 ? body : body.slice(0, eq);
    const name = key in table ? key : byAlias.get(key);
    if (!name) throw new UsageError(`flag provided but not defined: -${key}`);
    const spec = table[name];
    let value: string;
    if (spec.value) {
      if (eq >= 0) value = body.slice(eq + 1);
      else if (i < argv.length) value = argv[i++];
      else throw new UsageError(`flag needs an argument: -${key}`);
    } else {
      value = eq >= 0 ? body.slice(eq + 1) : "true";
      if (value !== "true" && value !== "false") {
        throw new UsageError(`invalid boolean value "${value}" for -${key}`);
      }
    }
    const list = flags.get(name) ?? [];
    if (spec.multi) list.push(value);
    else list.splice(0, list.length, value);
    flags.set(name, list);
  }
  return { flags, positionals };
}

export function flagString(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.at(-1);
}

export function flagBool(p: Parsed, name: string): boolean {
  return p.flags.get(name)?.at(-1) === "true";
}

export function flagInt(p: Parsed, name: string, fallback: number): number {
  const v = flagString(p, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid value "${v}" for flag -${name}: parse error`);
  return Number(v);
}

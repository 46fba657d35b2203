import { usageError } from '../errors';

/** One option a command accepts: `--name VALUE` (string) or `--name` (boolean), maybe with a one-letter alias. */
export interface FlagDef {
  kind: 'string' | 'boolean';
  alias?: string;
}

/** The options of a command, by long name without dashes. */
export type FlagSpec = Readonly<Record<string, FlagDef>>;

/** Parsed arguments: option values by long name and the positional words. */
export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
}

/**
 * Parses `--name value`, `--name=value`, `-x value`, boolean `--name`, and
 * `--` (everything after it is positional). A repeated option keeps the last
 * value. Unknown options and missing values are usage errors (exit 2).
 */
export function parseArgs(args: readonly string[], spec: FlagSpec): ParsedArgs {
  const byAlias = new Map<string, string>();
  for (const [name, def] of Object.entries(spec)) if (def.alias) byAlias.set(def.alias, name);
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const name = rawName.startsWith('--') ? rawName.slice(2) : byAlias.get(rawName.slice(1));
    const def = name === undefined ? undefined : spec[name];
    if (name === undefined || def === undefined) throw usageError(`unknown option ${rawName}`);
    if (def.kind === 'boolean') {
      if (inline !== undefined) throw usageError(`option ${rawName} takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw usageError(`option ${rawName} needs a value`);
    flags.set(name, value);
  }
  return { flags, positionals };
}

/** A string option's value, or `undefined`. */
export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** True when a boolean option was given. */
export function boolFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.flags.get(name) === true;
}

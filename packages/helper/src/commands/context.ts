import { createApiClient, type ApiClient } from '../api-client';
import type { Io } from '../io';
import { resolveSettings, type ClientSettings } from '../settings';
import { zodValidators } from '../wire/zod';
import type { FlagSpec, ParsedArgs } from './argv';

/** What every CLI command receives. */
export interface CommandContext {
  io: Io;
  /** The command's own options and positional words (after the command path). */
  args: ParsedArgs;
  /** `-o json` was given. */
  json: boolean;
  /** `--url`/`--token` given as global options. */
  global: { url?: string | undefined; token?: string | undefined; caFile?: string | undefined };
}

/** A CLI command: its words, options, help text and body. */
export interface Command {
  path: readonly string[];
  summary: string;
  usage: string;
  flags: FlagSpec;
  run(ctx: CommandContext): Promise<number>;
}

/** Resolves server settings from the global options, the environment and the config file. */
export function settingsOf(ctx: CommandContext): ClientSettings {
  return resolveSettings(ctx.global, ctx.io.env);
}

/** An API client validating with the contract's zod schemas. */
export function clientOf(ctx: CommandContext, settings: ClientSettings = settingsOf(ctx)): ApiClient {
  return createApiClient(settings.server, ctx.io.transport, zodValidators);
}

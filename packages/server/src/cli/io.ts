import type { Env } from '../config';

/**
 * What a server subcommand may touch; main.ts supplies the real process. The writers are
 * function properties, not methods: commands pass them on detached (`write: io.stdout`).
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Env;
  /** Aborted on SIGTERM/SIGINT; long-running commands stop gracefully. */
  signal: AbortSignal;
  /** The better-sqlite3 addon when it must be supplied (single executable). */
  nativeBinding?: unknown;
  /** Build information for `--version`. */
  version: string;
  /** Text of `/proc/self/limits` (core dump check of `start`); `undefined` when unreadable. */
  processLimits?: () => string | undefined;
  /** This process's id (for messages naming `/proc/<pid>`). */
  pid?: number;
  /** Registers a handler for SIGHUP (`start` reloads its TLS certificate). */
  onReload?: (handler: () => void) => void;
}

/** A subcommand: parsed argv in, exit code out. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;

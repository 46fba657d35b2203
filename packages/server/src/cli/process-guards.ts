import { ConfigError } from '../config';

/**
 * The soft core-file size limit from the text of `/proc/self/limits`
 * ("Max core file size  0  unlimited  bytes"), or `undefined` when the text
 * doesn't say (not Linux).
 */
export function softCoreLimit(limits: string | undefined): string | undefined {
  const m = /^Max core file size\s+(\S+)\s+\S+/m.exec(limits ?? '');
  return m?.[1];
}

/** What {@link checkCoreDumps} decides from. */
export interface CoreDumpCheck {
  /** Text of `/proc/self/limits`, `undefined` when unreadable. */
  limits: string | undefined;
  allowCoreDumps: boolean;
  dev: boolean;
  warn: (text: string) => void;
}

/**
 * A core dump of the server holds the master key and every unwrapped data
 * key. `start` refuses while RLIMIT_CORE is not 0, unless told it is wanted;
 * `--dev` only warns so `npm start` keeps working on a developer's machine.
 */
export function checkCoreDumps(c: CoreDumpCheck): void {
  const soft = softCoreLimit(c.limits);
  if (soft === undefined || soft === '0' || c.allowCoreDumps) return;
  const text =
    `core dumps are enabled (RLIMIT_CORE=${soft}): a crash would write the master key and data keys to disk. ` +
    'Disable them with `ulimit -c 0` before starting, or `LimitCORE=0` in the systemd unit';
  if (c.dev) {
    c.warn(`warning: ${text}.\n`);
    return;
  }
  throw new ConfigError(`${text}; or pass --allow-core-dumps to accept the risk`);
}

/** The warning for a master key given in the environment of a real (non-dev) server. */
export function envKeyWarning(pid: number | undefined): string {
  return (
    `warning: the master key came from DODIL_MASTER_KEY, which stays readable in /proc/${pid ?? '<pid>'}/environ ` +
    'for as long as the server runs (to root and this user); prefer DODIL_MASTER_KEY_FILE or --master-key-file.\n'
  );
}

/**
 * Refuses an obviously weak master key for a store about to be created (or as
 * the target of a rotation); for an existing store only warns, naming the way
 * out, so an upgrade never locks an install out of its own data.
 */
export function checkKeyStrength(
  reason: string | undefined,
  creating: boolean,
  warn: (text: string) => void,
): void {
  if (reason === undefined) return;
  if (creating) {
    throw new ConfigError(
      `refusing a weak master key: ${reason}. Make a random one with \`dodil-server keys generate > master.key\` (mode 0600)`,
    );
  }
  warn(
    `warning: this data dir's master key looks weak (${reason}); replace it: ` +
      '`dodil-server keys generate > new.key` then `dodil-server keys rotate-master --new-master-key-file new.key`.\n',
  );
}

import { readFileSync } from 'node:fs';
import {
  DOCKER_HUB_KEY,
  DOCKER_HUB_SERVER_URL,
  isSlotName,
  normaliseRegistryHost,
  SLOT_NAME_RULE,
} from '@dodil/shared';
import { configPath, loadConfig, saveConfig } from '../config';
import { CliError, isCliError, missingError, usageError } from '../errors';
import { fileMode, writeFileAtomic } from '../fs-util';
import { boolFlag, stringFlag } from './argv';
import {
  authsEntriesFor,
  containersDropInPath,
  CONTAINERS_DROP_IN,
  dockerConfigPath,
  dropInInPlace,
  removeAuthsEntries,
} from './container-auth';
import { clientOf, settingsOf, type Command, type CommandContext } from './context';
import { formatJson } from './output';
import { helperOnPath } from './path-lookup';

const USAGE = `usage: dodil setup docker REGISTRY --slot NAME [--fix] [-o json]

Points docker, podman, buildah and skopeo at dodil for REGISTRY:
- "credHelpers": {"<registry>": "dodil"} in $DOCKER_CONFIG/config.json (or
  ~/.docker/config.json); for Docker Hub both "https://index.docker.io/v1/"
  (docker CLI, buildx) and "docker.io";
- ~/.config/containers/registries.conf.d/99-dodil.conf with
  credential-helpers = ["dodil", "containers-auth.json"], so podman, buildah
  and skopeo ask dodil first, after a reboot too, and "podman login" rotates
  the slot (their default auth file is on tmpfs);
- the mapping REGISTRY -> NAME in the dodil config file.
A login stored as an "auths" entry for REGISTRY in any auth file is reported;
--fix removes such entries after copying each file to <file>.dodil-backup-<time>.
Everything else is kept; running it twice changes nothing.`;

/** One line of what setup did. */
interface Change {
  file: string;
  entry: string;
  value: string;
  change: 'added' | 'changed' | 'unchanged';
  previous?: string;
}

function readDockerConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(
      'FAILED_PRECONDITION',
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  if (text.trim() === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(
      'FAILED_PRECONDITION',
      `${path} is not valid JSON; fix it first (nothing was changed)`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CliError(
      'FAILED_PRECONDITION',
      `${path} is not a JSON object; fix it first (nothing was changed)`,
    );
  }
  return data as Record<string, unknown>;
}

/** `dodil setup docker` */
export const setupDockerCommand: Command = {
  path: ['setup', 'docker'],
  summary: 'make docker/skopeo use a slot for a registry',
  usage: USAGE,
  flags: { slot: { kind: 'string' }, fix: { kind: 'boolean' } },
  async run(ctx) {
    const [registry, ...extra] = ctx.args.positionals;
    const slot = stringFlag(ctx.args, 'slot');
    if (registry === undefined)
      throw missingError('REGISTRY', 'the registry host, such as ghcr.io or 127.0.0.1:5000', USAGE);
    if (slot === undefined)
      throw missingError('--slot', 'the registry slot to answer with, such as --slot ghcr-pull', USAGE);
    if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!isSlotName(slot)) throw usageError(`invalid slot name ${JSON.stringify(slot)}: ${SLOT_NAME_RULE}`);
    const key = normaliseRegistryHost(registry);
    if (key === undefined)
      throw usageError(
        `${JSON.stringify(registry)} is not a registry host such as ghcr.io or 127.0.0.1:5000`,
      );

    const changes: Change[] = [];
    const dockerPath = dockerConfigPath(ctx.io.env);
    const docker = readDockerConfig(dockerPath);
    const helpers = docker.credHelpers ?? {};
    if (typeof helpers !== 'object' || helpers === null || Array.isArray(helpers)) {
      throw new CliError(
        'FAILED_PRECONDITION',
        `${dockerPath}: "credHelpers" is not an object; fix it first (nothing was changed)`,
      );
    }
    const nextHelpers: Record<string, unknown> = { ...(helpers as Record<string, unknown>) };
    const keys = key === DOCKER_HUB_KEY ? [DOCKER_HUB_SERVER_URL, DOCKER_HUB_KEY] : [key];
    for (const k of keys) {
      const before = nextHelpers[k];
      const change = before === 'dodil' ? 'unchanged' : before === undefined ? 'added' : 'changed';
      nextHelpers[k] = 'dodil';
      changes.push({
        file: dockerPath,
        entry: `credHelpers[${JSON.stringify(k)}]`,
        value: 'dodil',
        change,
        ...(change === 'changed' ? { previous: String(before) } : {}),
      });
    }
    if (changes.some((c) => c.change !== 'unchanged')) {
      // docker writes config.json with mode 0600; keep whatever mode the user has.
      writeFileAtomic(
        dockerPath,
        `${JSON.stringify({ ...docker, credHelpers: nextHelpers }, null, '\t')}\n`,
        fileMode(dockerPath) ?? 0o600,
      );
    }

    const path = configPath(ctx.io.env);
    const config = loadConfig(path);
    const mappings = config.mappings.docker;
    const before = mappings[key];
    // Other spellings of the same registry go, so exactly one mapping decides.
    const others = Object.keys(mappings).filter((h) => h !== key && normaliseRegistryHost(h) === key);
    for (const host of others) delete mappings[host];
    mappings[key] = slot;
    const mappingChange =
      before === slot && others.length === 0
        ? 'unchanged'
        : before === undefined && others.length === 0
          ? 'added'
          : 'changed';
    changes.push({
      file: path,
      entry: `mappings.docker[${JSON.stringify(key)}]`,
      value: slot,
      change: mappingChange,
      ...(before !== undefined && before !== slot ? { previous: before } : {}),
    });
    if (mappingChange !== 'unchanged') saveConfig(path, config);

    const dropIn = containersDropInPath(ctx.io.env);
    const dropInChange = dropInInPlace(dropIn)
      ? 'unchanged'
      : readTextOrUndefined(dropIn) === undefined
        ? 'added'
        : 'changed';
    if (dropInChange !== 'unchanged') writeFileAtomic(dropIn, CONTAINERS_DROP_IN, 0o644, 0o755);
    changes.push({
      file: dropIn,
      entry: 'credential-helpers',
      value: '["dodil", "containers-auth.json"]',
      change: dropInChange,
    });

    const shadows = authsEntriesFor(ctx.io.env, key);
    const backups = boolFlag(ctx.args, 'fix') ? removeAuthsEntries(shadows, ctx.io.now()) : [];
    for (const e of shadows) {
      if (backups.length > 0) {
        ctx.io.stderr(
          `dodil: removed the stored login auths[${JSON.stringify(e.key)}] from ${e.file.path}\n`,
        );
      } else {
        ctx.io.stderr(
          `dodil: warning: ${e.file.path} holds a stored login auths[${JSON.stringify(e.key)}] (read by ${e.file.readers}); ` +
            `it goes stale after a rotation: remove it with: dodil setup docker ${key} --slot ${slot} --fix\n`,
        );
      }
    }
    for (const b of backups) ctx.io.stderr(`dodil: backup saved as ${b}\n`);

    await checkSlot(ctx, slot, key);
    if (!helperOnPath(ctx.io.env, 'docker-credential-dodil')) {
      ctx.io.stderr(
        'dodil: warning: docker-credential-dodil is not on PATH; docker will not find the helper\n',
      );
    }
    if (ctx.json) {
      const stored = shadows.map((e) => ({ file: e.file.path, key: e.key, removed: backups.length > 0 }));
      ctx.io.stdout(formatJson({ registry: key, slot, changes, storedLogins: stored, backups }));
    } else {
      for (const c of changes) {
        const was = c.previous === undefined ? '' : ` (was ${JSON.stringify(c.previous)})`;
        ctx.io.stdout(`${c.file}: ${c.entry} = ${JSON.stringify(c.value)}: ${c.change}${was}\n`);
      }
    }
    return 0;
  },
};

// A courtesy check, never fatal: warn when the slot is missing or of the wrong type.
async function checkSlot(ctx: CommandContext, slot: string, key: string): Promise<void> {
  try {
    const settings = settingsOf(ctx);
    if (settings.server.token === undefined) return;
    const secret = await clientOf(ctx, settings).getSecret(slot);
    if ('gitSecret' in secret.value) {
      ctx.io.stderr(`dodil: warning: slot ${slot} is a git slot; docker needs a registry slot\n`);
    }
  } catch (error) {
    if (isCliError(error) && error.code === 'NOT_FOUND') {
      const address = key === DOCKER_HUB_KEY ? '' : ` --server-address ${key}`;
      ctx.io.stderr(
        `dodil: warning: slot ${slot} does not exist yet; create it with: dodil ignite secret create ${slot} --type registry --username USER --password-stdin${address}\n`,
      );
    }
  }
}

function readTextOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

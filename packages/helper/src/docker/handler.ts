import { readAll, StdinTooLargeError, type Io } from '../io';
import { VERSION } from '../version';
import { dodilDockerBackend, type DockerBackend } from './backend';
import {
  DockerHelperError,
  formatGetOutput,
  MAX_INPUT_BYTES,
  MISSING_SERVER_URL,
  parseStoreInput,
} from './protocol';

/** Usage of the docker credential helper mode. */
export const DOCKER_USAGE = `usage: docker-credential-dodil <get|store|erase|list|version>

A docker credential helper backed by dodil registry slots. Use it from
~/.docker/config.json as "credsStore": "dodil" or "credHelpers": {"<registry>": "dodil"};
\`dodil setup docker <registry> --slot NAME\` writes both the entry and the mapping.
podman, buildah and skopeo ignore "credsStore": \`dodil setup docker\` also points them at
dodil (a registries.conf.d drop-in).`;

/**
 * The docker helper program: version and help, then {@link handleDockerCommand}
 * with the dodil backend. Errors are thrown ({@link CredentialsNotFound},
 * {@link DockerHelperError}); run.ts turns them into stdout text + exit 1.
 */
export async function runDockerHelper(args: readonly string[], io: Io): Promise<number> {
  const action = args[0];
  if (args.length === 1 && (action === '--version' || action === '-v' || action === 'version')) {
    io.stdout(`docker-credential-dodil (dodil) ${VERSION}\n`);
    return 0;
  }
  if (args.length === 1 && (action === '--help' || action === '-h')) {
    io.stdout(`${DOCKER_USAGE}\n`);
    return 0;
  }
  if (args.length !== 1 || action === undefined || !['get', 'store', 'erase', 'list'].includes(action)) {
    io.stdout(`${DOCKER_USAGE}\n`);
    return 1;
  }
  return handleDockerCommand(dodilDockerBackend(io), action, io);
}

/**
 * The docker-credential-helpers protocol around any {@link DockerBackend}, as
 * its Go `HandleCommand(helper, action, in, out)`: `get` reads a server URL
 * and writes `{"ServerURL","Username","Secret"}`, `store` reads that JSON,
 * `erase` reads a server URL, `list` writes `{"<url>": "<username>"}`.
 */
export async function handleDockerCommand(backend: DockerBackend, action: string, io: Io): Promise<number> {
  if (action === 'list') {
    io.stdout(`${JSON.stringify(await backend.list())}\n`);
    return 0;
  }
  const input = await readInput(io);
  if (action === 'store') {
    await backend.store(parseStoreInput(input));
    return 0;
  }
  const serverUrl = input.trim();
  if (action === 'erase') {
    await backend.erase(serverUrl);
    return 0;
  }
  if (action !== 'get') throw new DockerHelperError(`unknown action ${JSON.stringify(action)}`);
  if (serverUrl === '') throw new DockerHelperError(MISSING_SERVER_URL);
  const { username, secret } = await backend.get(serverUrl);
  io.stdout(formatGetOutput(serverUrl, username, secret));
  return 0;
}

async function readInput(io: Io): Promise<string> {
  try {
    return await readAll(io.stdin(), MAX_INPUT_BYTES);
  } catch (error) {
    if (error instanceof StdinTooLargeError) throw new DockerHelperError(error.message);
    throw error;
  }
}

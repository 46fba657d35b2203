/**
 * docker-credential-helpers wire format (protocols.md §2.2–2.3): the server
 * string arrives bare on stdin, answers are JSON on stdout, and every error
 * is a message on **stdout** with exit 1.
 */

/** The one error text clients read as "no credential, carry on anonymously". */
export const NOT_FOUND = 'credentials not found in native keychain';
/** Reference text for an empty server string. */
export const MISSING_SERVER_URL = 'no credentials server URL';
/** Reference text for a store without a username. */
export const MISSING_USERNAME = 'no credentials username';
/** The most we read from a docker client (a store carries at most a 16 KiB secret). */
export const MAX_INPUT_BYTES = 256 * 1024;

/** A "no credential" outcome: stdout gets {@link NOT_FOUND}, stderr gets `reason`. */
export class CredentialsNotFound extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CredentialsNotFound';
  }
}

/** A helper failure: `message` goes to stdout, exit 1 (clients show it to the user). */
export class DockerHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerHelperError';
  }
}

/** The credential of a `store`. */
export interface DockerCredentials {
  serverUrl: string;
  username: string;
  secret: string;
}

/** Parses a `store` payload `{"ServerURL","Username","Secret"}`. */
export function parseStoreInput(text: string): DockerCredentials {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new DockerHelperError('invalid credentials JSON on stdin');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DockerHelperError('invalid credentials JSON on stdin');
  }
  const rec = data as Record<string, unknown>;
  const serverUrl = typeof rec.ServerURL === 'string' ? rec.ServerURL.trim() : '';
  const username = typeof rec.Username === 'string' ? rec.Username : '';
  const secret = typeof rec.Secret === 'string' ? rec.Secret : '';
  if (serverUrl === '') throw new DockerHelperError(MISSING_SERVER_URL);
  if (username === '') throw new DockerHelperError(MISSING_USERNAME);
  return { serverUrl, username, secret };
}

/** The `get` answer; `serverUrl` is the caller's own string, echoed back. */
export function formatGetOutput(serverUrl: string, username: string, secret: string): string {
  return `${JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret })}\n`;
}

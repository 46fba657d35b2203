import type { Logger } from '../http/logger';
import type { Runtime } from '../runtime';
import { consoleEventRecorder } from './console-audit';
import type { ConsoleDeps } from './console-deps';
import { consoleTokensFromAdmin } from './console-tokens';
import { createSessionService } from './session-service';

/**
 * The console's dependencies from an open runtime: the same decorated services the API uses
 * (throttled and audited auth, audited and key-guarded secrets, the audit API's service).
 * Tokens are bound to the admin service until the tokens service exists (see console-tokens.ts).
 */
export function consoleDepsOf(
  runtime: Pick<Runtime, 'auth' | 'secrets' | 'admin' | 'auditQuery' | 'audit' | 'clock' | 'random' | 'stores'>,
  options: { secureCookies: boolean; logger: Logger; sessionTtlMs?: number },
): ConsoleDeps {
  return {
    sessions: createSessionService({
      store: runtime.stores.sessions,
      auth: runtime.auth,
      clock: runtime.clock,
      random: runtime.random,
      ...(options.sessionTtlMs === undefined ? {} : { ttlMs: options.sessionTtlMs }),
    }),
    secrets: runtime.secrets,
    tokens: consoleTokensFromAdmin(runtime.admin),
    auditQuery: runtime.auditQuery,
    recordEvent: consoleEventRecorder(runtime.audit, runtime.clock),
    secureCookies: options.secureCookies,
    logger: options.logger,
  };
}

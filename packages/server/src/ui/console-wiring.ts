import type { Logger } from '../edge/logger';
import type { OperatorRuntime } from '../runtime';
import type { ConsoleDeps } from './console-deps';

/**
 * The console's dependencies from an open runtime: the parts composed for it in compose.ts and
 * the same decorated services the API uses (audited, key-guarded secrets; the audit API's service).
 */
export function consoleDepsOf(
  runtime: Pick<OperatorRuntime, 'secrets' | 'auditQuery' | 'console'>,
  options: { secureCookies: boolean; logger: Logger },
): ConsoleDeps {
  return {
    ...runtime.console,
    secrets: runtime.secrets,
    auditQuery: runtime.auditQuery,
    secureCookies: options.secureCookies,
    logger: options.logger,
  };
}

import type { AuditQueryService } from '../audit/audit-query-service';
import type { Logger } from '../edge/logger';
import type { SecretService } from '../services/secret-service';
import type { RecordConsoleEvent } from './console-audit';
import type { ConsoleTokens } from './console-tokens';
import type { SessionService } from './session-service';

/** What the console is built from: the same (decorated) services the API calls. */
export interface ConsoleDeps {
  sessions: SessionService;
  secrets: SecretService;
  tokens: ConsoleTokens;
  auditQuery: AuditQueryService;
  recordEvent: RecordConsoleEvent;
  /** Mark the session cookie Secure (the server listens with TLS). */
  secureCookies: boolean;
  logger: Logger;
}

import type { AppEnv } from '../http/app-env';
import type { ConsoleSession } from './session-service';

/** Hono environment of the console: the API's variables plus the resumed session. */
export interface UiEnv {
  Variables: AppEnv['Variables'] & {
    session: ConsoleSession;
  };
}

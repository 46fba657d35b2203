import type { CallContext, Principal } from '../services/context';

/** Hono environment of the REST app: what middleware leaves for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    clientAddress: string;
    principal: Principal;
    /** Org name for the access log, set once the caller is known. */
    logOrg: string;
  };
}

/** The service-level context of a request (after the auth middleware). */
export function callContext(vars: {
  get(key: 'principal'): Principal;
  get(key: 'requestId'): string;
  get(key: 'clientAddress'): string;
}): CallContext {
  return {
    principal: vars.get('principal'),
    requestId: vars.get('requestId'),
    clientAddress: vars.get('clientAddress'),
  };
}

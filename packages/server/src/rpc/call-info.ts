import { createContextKey } from '@connectrpc/connect';
import type { ContextValues } from '@connectrpc/connect';
import type { GrpcCodeName } from '@dodil/shared';
import type { Principal } from '../services/context';

/**
 * What the RPC listener learns about one call before any handler runs (from
 * the socket and the headers), completed by the handlers for the access log.
 */
export interface RpcCallInfo {
  readonly requestId: string;
  /** Peer address, derived exactly as the REST app derives it (auth throttling, audit, logs). */
  readonly clientAddress: string;
  /** The caller's org name once authenticated; logged, never a token. */
  org: string | undefined;
  /** Outcome code once a handler has finished. */
  code: GrpcCodeName | undefined;
  /**
   * The caller, authenticated by the listener from the headers before any
   * body byte was read (SecretService calls); handlers use it rather than
   * authenticating again.
   */
  principal?: Principal;
}

const callInfoKey = createContextKey<RpcCallInfo | undefined>(undefined, {
  description: 'dodil rpc call info',
});

/** Context values carrying a fresh {@link RpcCallInfo}. */
export function withCallInfo(values: ContextValues, info: RpcCallInfo): ContextValues {
  return values.set(callInfoKey, info);
}

/**
 * The call's {@link RpcCallInfo}. A call that didn't come through our listener
 * (an in-process router transport in a unit test) gets a throwaway one.
 */
export function callInfoOf(values: ContextValues): RpcCallInfo {
  const info = values.get(callInfoKey);
  if (info !== undefined) return info;
  const fresh: RpcCallInfo = {
    requestId: 'unknown',
    clientAddress: 'unknown',
    org: undefined,
    code: undefined,
  };
  values.set(callInfoKey, fresh);
  return fresh;
}

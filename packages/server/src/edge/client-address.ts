/** Where the peer address of a request comes from (the socket, when there is one). */
export type ClientAddressOf = (env: unknown) => string;

/**
 * Reads the remote address from @hono/node-server's bindings
 * (`env.incoming.socket`); the RPC listener hands the same shape, so
 * throttling and audit key callers alike over every protocol.
 */
export const socketClientAddress: ClientAddressOf = (env) => {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
};

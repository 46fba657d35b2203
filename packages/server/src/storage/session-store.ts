/** A console session as stored: never the session id, never the token in clear. */
export interface SessionRecord {
  /** SHA-256 of the session id (the cookie holds the id). */
  idHash: Uint8Array;
  /** Public id of the bearer token the session is bound to. */
  tokenId: string;
  /** The bearer token, sealed under a key derived from the session id. */
  sealedToken: Uint8Array;
  createdAtMs: number;
  expiresAtMs: number;
}

/** Console session persistence (docs/contract.md#web-console); every replica sees the same sessions through the store. */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  get(idHash: Uint8Array): Promise<SessionRecord | undefined>;
  /** True when a session was deleted. */
  delete(idHash: Uint8Array): Promise<boolean>;
  /** Deletes every session that expired before `nowMs`; returns how many. */
  deleteExpired(nowMs: number): Promise<number>;
}

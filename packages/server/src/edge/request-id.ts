const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's request id when it is sane (1–64 of `A-Za-z0-9._:-`), else a new one; every protocol uses this. */
export function acceptRequestId(incoming: string | undefined, newId: () => string): string {
  return incoming !== undefined && SAFE_REQUEST_ID.test(incoming) ? incoming : newId();
}

/** Responses built here already carry their `x-request-id`; the request pipeline skips them. */
const stamped = new WeakSet<Response>();

/**
 * A JSON response with the request id, headers as a plain object and the body
 * as a string. @hono/node-server writes such a Response straight from what it
 * was built with (its `responseViaCache` path); `c.json` after `c.header`
 * goes through undici `Headers` twice instead. Same bytes as `c.json`:
 * `content-type: application/json`, the length set by node.
 */
export function jsonResponse(
  c: { get(key: 'requestId'): string | undefined },
  body: unknown,
  status: number,
  extra?: Record<string, string>,
): Response {
  // Set by the request pipeline before anything can answer; undefined only outside the app.
  const id = c.get('requestId');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (id !== undefined) headers['x-request-id'] = id;
  if (extra !== undefined) Object.assign(headers, extra);
  const res = new Response(JSON.stringify(body), { status, headers });
  if (id !== undefined) stamped.add(res);
  return res;
}

/** Whether `res` came from {@link jsonResponse} with the request id already on it. */
export function hasRequestId(res: Response): boolean {
  return stamped.has(res);
}

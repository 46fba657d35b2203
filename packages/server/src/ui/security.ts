import type { Context, MiddlewareHandler } from 'hono';

/**
 * The console's Content-Security-Policy: nothing but same-origin styles; no script at all
 * (inline or not), no framing, forms only to ourselves.
 */
export const CONSOLE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers on every console response, pages, redirects and assets alike. */
export function consoleHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('content-security-policy', CONSOLE_CSP);
    h.set('x-content-type-options', 'nosniff');
    h.set('x-frame-options', 'DENY');
    // Not no-referrer: under it Chromium sends `Origin: null` on our own form posts, which the origin check refuses.
    h.set('referrer-policy', 'same-origin');
    h.set('cross-origin-opener-policy', 'same-origin');
    if (!h.has('cache-control')) h.set('cache-control', 'no-store');
  };
}

/**
 * Whether a state-changing request comes from our own pages: its `Origin` (every browser sends
 * one on a form POST) must be ours, and `Sec-Fetch-Site`, when sent, must not say cross-site.
 * A request with neither header is left to the CSRF token.
 */
export function fromSameOrigin(c: Context): boolean {
  // Host, not the whole origin: behind a TLS-terminating proxy the browser says https and we
  // see http. The host:port is what a cross-site page cannot fake.
  const own = c.req.header('host') ?? new URL(c.req.url).host;
  const origin = c.req.header('origin');
  if (origin !== undefined && hostOf(origin) !== own) return false;
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // `null` and other opaque origins
  }
}

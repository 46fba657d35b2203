import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Sends a page: the doctype, then the server-rendered element (text in it is HTML-escaped by hono/jsx). */
export async function sendPage(c: Context, page: JSX.Element, status = 200) {
  return c.html(`<!DOCTYPE html>${String(await page)}`, status as ContentfulStatusCode);
}

/** A 303 to a console path (after a form post, so a reload does not post again). */
export function seeOther(c: Context, path: string) {
  return c.redirect(path, 303);
}

import type { SecretType } from '@dodil/shared';
import type { CallContext } from '../services/context';
import { encodePageToken } from '../services/page-token';
import type { SecretService, SlotMetadata } from '../services/secret-service';

/** The slots page's filter: name substring, type, updated since (all optional). */
export interface SlotFilter {
  q: string;
  type: SecretType | undefined;
  updatedSinceMs: number | undefined;
}

/** Slots per console page. */
export const CONSOLE_PAGE_SIZE = 100;
/** Service pages read per console page at most, so a filter over a huge org stays bounded. */
const MAX_READS = 50;
const READ_SIZE = 1000;

const matches = (f: SlotFilter, m: SlotMetadata) =>
  (f.q === '' || m.name.toLowerCase().includes(f.q.toLowerCase())) &&
  (f.type === undefined || m.type === f.type) &&
  (f.updatedSinceMs === undefined || m.updatedAtMs >= f.updatedSinceMs);

/**
 * One console page of slots matching a filter, read through the SecretService's own list (the
 * same scope, grants and audit as the API). `after` and the returned `next` are the service's
 * opaque page tokens.
 */
export async function listSlots(
  secrets: Pick<SecretService, 'list'>,
  ctx: CallContext,
  filter: SlotFilter,
  after: string,
  size = CONSOLE_PAGE_SIZE,
): Promise<{ slots: SlotMetadata[]; next: string }> {
  const unfiltered = filter.q === '' && filter.type === undefined && filter.updatedSinceMs === undefined;
  const found: SlotMetadata[] = [];
  let token = after;
  for (let reads = 0; reads < MAX_READS; reads++) {
    const page = await secrets.list(ctx, { pageSize: unfiltered ? size : READ_SIZE, pageToken: token });
    for (const m of page.secrets) {
      if (!matches(filter, m)) continue;
      found.push(m);
      if (found.length > size)
        return { slots: found.slice(0, size), next: encodePageToken(found[size - 1]?.name ?? m.name) };
    }
    if (unfiltered && found.length === size) return { slots: found, next: page.nextPageToken };
    if (page.nextPageToken === '') return { slots: found, next: '' };
    token = page.nextPageToken;
  }
  // Bounded: the next page resumes where this scan stopped.
  return { slots: found, next: token };
}

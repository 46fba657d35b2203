import { isSlotName } from '@dodil/shared';
import { AppError } from '../errors/app-error';

const PREFIX = 'v1:';

/** Encodes the resume point of a list (the last name served) as an opaque token. */
export function encodePageToken(lastName: string): string {
  return Buffer.from(PREFIX + lastName, 'utf8').toString('base64url');
}

/** Decodes a page token; '' is the first page. Throws INVALID_ARGUMENT on anything we did not issue. */
export function decodePageToken(token: string): string {
  if (token === '') return '';
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) throw new AppError('INVALID_ARGUMENT', 'invalid pageToken');
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const name = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  if (!isSlotName(name)) throw new AppError('INVALID_ARGUMENT', 'invalid pageToken');
  return name;
}

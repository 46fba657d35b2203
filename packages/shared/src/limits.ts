/** Size limits of the contract (docs/contract.md#slots), in bytes of UTF-8. */
export const LIMITS = {
  usernameBytes: 256,
  secretBytes: 16 * 1024,
  serverAddressBytes: 255,
  bodyBytes: 64 * 1024,
  defaultPageSize: 100,
  maxPageSize: 1000,
} as const;

/** UTF-8 length of a string, which is what the byte limits count. */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

import { describe, expect, test } from 'vitest';
import { createSecretRequestSchema, listSecretsQuerySchema, listSecretsResponseSchema } from './api-schemas';
import { exitCodeFor, grpcCodeForHttpStatus, grpcCodeName, httpStatusFor } from './grpc-code';
import { isSlotName } from './slot-name';
import { secretValueInputSchema } from './secret-value';

describe('slot names', () => {
  test.each([
    ['a', true],
    ['A-Z_0-9', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['', false],
    ['a.b', false],
    ['ä', false],
    ['a\n', false],
  ])('%j → %s', (name, ok) => expect(isSlotName(name)).toBe(ok));
});

describe('secretValueInputSchema', () => {
  test('camelCase and snake_case give the same value', () => {
    const camel = secretValueInputSchema.parse({
      registrySecret: { username: 'u', password: 'p', serverAddress: 'h' },
    });
    const snake = secretValueInputSchema.parse({
      registry_secret: { username: 'u', password: 'p', server_address: 'h' },
    });
    expect(camel).toEqual(snake);
  });

  test('a missing server address becomes empty (Docker Hub)', () => {
    expect(secretValueInputSchema.parse({ registrySecret: { username: 'u', password: 'p' } })).toEqual({
      registrySecret: { username: 'u', password: 'p', serverAddress: '' },
    });
  });

  test.each([
    [{}],
    [{ gitSecret: { username: 'u', token: 't' }, registrySecret: { username: 'u', password: 'p' } }],
    [{ gitSecret: null }],
    [{ gitSecret: [] }],
    [{ gitSecret: { username: 'u' } }],
    [{ registrySecret: { username: 'u', password: 'p', serverAddress: 1 } }],
    [{ registrySecret: { username: 'u', password: 'p', server_address: 'a', serverAddress: 'b' } }],
    [{ __proto__: { gitSecret: { username: 'u', token: 't' } } }],
    [[]],
    ['gitSecret'],
  ])('%j is refused', (value) => expect(secretValueInputSchema.safeParse(value).success).toBe(false));

  test('byte limits count UTF-8 bytes', () => {
    expect(
      secretValueInputSchema.safeParse({ gitSecret: { username: '€'.repeat(85), token: 't' } }).success,
    ).toBe(true);
    expect(
      secretValueInputSchema.safeParse({ gitSecret: { username: '€'.repeat(86), token: 't' } }).success,
    ).toBe(false);
  });
});

describe('request and response schemas', () => {
  test('CreateSecret needs exactly name and value', () => {
    expect(
      createSecretRequestSchema.safeParse({ name: 'a', value: { gitSecret: { username: 'u', token: 't' } } })
        .success,
    ).toBe(true);
    expect(createSecretRequestSchema.safeParse({ name: 'a' }).success).toBe(false);
    expect(createSecretRequestSchema.safeParse({ name: 'a', value: {}, extra: 1 }).success).toBe(false);
  });

  test('list query accepts both spellings and rejects non-integers', () => {
    expect(listSecretsQuerySchema.parse({ page_size: '5', page_token: 't' })).toEqual({
      pageSize: 5,
      pageToken: 't',
    });
    expect(listSecretsQuerySchema.parse({})).toEqual({ pageSize: undefined, pageToken: '' });
    expect(listSecretsQuerySchema.safeParse({ pageSize: '-1' }).success).toBe(false);
  });

  test('a list response may omit empty fields (proto-JSON)', () => {
    expect(listSecretsResponseSchema.parse({})).toEqual({ secrets: [], nextPageToken: '' });
  });
});

describe('gRPC code tables', () => {
  test.each([
    ['INVALID_ARGUMENT', 400, 2],
    ['FAILED_PRECONDITION', 400, 1],
    ['UNAUTHENTICATED', 401, 3],
    ['PERMISSION_DENIED', 403, 4],
    ['NOT_FOUND', 404, 5],
    ['ALREADY_EXISTS', 409, 6],
    ['RESOURCE_EXHAUSTED', 429, 7],
    ['DEADLINE_EXCEEDED', 504, 8],
    ['UNAVAILABLE', 503, 9],
    ['INTERNAL', 500, 10],
  ] as const)('%s → HTTP %i, exit %i', (code, http, exit) => {
    expect(httpStatusFor(code)).toBe(http);
    expect(exitCodeFor(code)).toBe(exit);
  });

  test('numbers and HTTP statuses map back', () => {
    expect(grpcCodeName(5)).toBe('NOT_FOUND');
    expect(grpcCodeName(99)).toBe('UNKNOWN');
    expect(grpcCodeForHttpStatus(413)).toBe('INVALID_ARGUMENT');
    expect(grpcCodeForHttpStatus(502)).toBe('UNAVAILABLE');
  });
});

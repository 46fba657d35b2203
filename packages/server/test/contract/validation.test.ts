import { describe, expect, test } from 'vitest';
import { SLOT_NAME_RULE } from '@dodil/shared';
import { gitValue, makeHarness, registryValue } from '../support/harness';

const create = (name: unknown, value: unknown = gitValue()) => ({ name, value });

describe('CreateSecret validation (INVALID_ARGUMENT, 400)', () => {
  test.each([
    ['64 characters', 'a'.repeat(64), 200],
    ['65 characters', 'a'.repeat(65), 400],
    ['empty', '', 400],
    ['a dot', 'a.b', 400],
    ['a slash', 'a/b', 400],
    ['a space', 'a b', 400],
    ['non-ASCII', 'café', 400],
    ['all allowed characters', 'Az09-_', 200],
  ])('a name with %s → %s', async (_label, name, status) => {
    const h = await makeHarness();
    const res = await h.call('POST', '/v1/ignite/secrets', { token: await h.token(), body: create(name) });
    expect(res.status).toBe(status);
    if (status === 400) {
      expect(res.json.code).toBe(3);
      expect(res.json.message).toContain(SLOT_NAME_RULE);
    }
  });

  test('names are case-sensitive', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', { token, body: create('Gh', gitValue('u', 'upper')) });
    await h.call('POST', '/v1/ignite/secrets', { token, body: create('gh', gitValue('u', 'lower')) });
    expect((await h.call('GET', '/v1/ignite/secrets/Gh', { token })).json.value).toEqual(
      gitValue('u', 'upper'),
    );
    expect((await h.call('GET', '/v1/ignite/secrets/gh', { token })).json.value).toEqual(
      gitValue('u', 'lower'),
    );
  });

  test.each([
    ['both variants', { ...gitValue(), ...registryValue() }, 'exactly one'],
    ['neither variant', {}, 'exactly one'],
    ['an unknown variant', { sshSecret: {} }, 'unknown field value.sshSecret'],
    [
      'both spellings of one variant',
      { gitSecret: gitValue().gitSecret, git_secret: gitValue().gitSecret },
      'not both',
    ],
    ['a non-object value', 'x', 'value must be an object'],
    ['a null value', null, 'value must be an object'],
    ['an empty username', gitValue('', 't'), 'gitSecret.username must not be empty'],
    ['an empty token', gitValue('u', ''), 'gitSecret.token must not be empty'],
    ['an empty password', registryValue('h', 'u', ''), 'registrySecret.password must not be empty'],
    ['a username with a newline', gitValue('u\nx', 't'), 'line breaks'],
    ['a git token with a newline', gitValue('u', 't\npassword=evil'), 'line breaks'],
    ['a numeric token', { gitSecret: { username: 'u', token: 5 } }, 'gitSecret.token must be a string'],
    ['an unknown git field', { gitSecret: { username: 'u', token: 't', extra: 1 } }, 'extra'],
    ['a server address that is no host', registryValue('not a host!'), 'serverAddress'],
  ])('%s is refused', async (_label, value, message) => {
    const h = await makeHarness();
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token: await h.token(),
      body: create('s', value),
    });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe(3);
    expect(res.json.message).toContain(message);
    expect(res.json.details).toEqual([]);
  });

  test('a registry password may span lines (a JSON key file)', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const key = '{\n  "type": "service_account"\n}';
    expect(
      (
        await h.call('POST', '/v1/ignite/secrets', {
          token,
          body: create('gcr', registryValue('gcr.io', '_json_key', key)),
        })
      ).status,
    ).toBe(200);
    expect((await h.call('GET', '/v1/ignite/secrets/gcr', { token })).json.value).toEqual(
      registryValue('gcr.io', '_json_key', key),
    );
  });

  test.each([
    ['username at 256 bytes', gitValue('u'.repeat(256), 't'), 200],
    ['username at 257 bytes', gitValue('u'.repeat(257), 't'), 400],
    ['username at 256 bytes of 2-byte characters', gitValue('é'.repeat(128), 't'), 200],
    ['username at 258 bytes of 2-byte characters', gitValue('é'.repeat(129), 't'), 400],
    ['token at 16 KiB', gitValue('u', 't'.repeat(16 * 1024)), 200],
    ['token at 16 KiB + 1', gitValue('u', 't'.repeat(16 * 1024 + 1)), 400],
    ['password at 16 KiB + 1', registryValue('h.io', 'u', 'p'.repeat(16 * 1024 + 1)), 400],
    [
      'server address at 255 bytes',
      registryValue(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`),
      200,
    ],
    [
      'server address at 256 bytes',
      registryValue(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}.e`),
      400,
    ],
  ])('limits: %s → %s', async (_label, value, status) => {
    const h = await makeHarness();
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token: await h.token(),
      body: create('lim', value),
    });
    expect(res.status).toBe(status);
  });

  test('a body over 64 KiB is 413 with INVALID_ARGUMENT, and nothing is written', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const body = JSON.stringify(create('big', gitValue('u', 'x'))).replace(
      '"x"',
      `"${'x'.repeat(64 * 1024)}"`,
    );
    const res = await h.call('POST', '/v1/ignite/secrets', { token, rawBody: body });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ code: 3, details: [] });
    expect((await h.call('GET', '/v1/ignite/secrets/big', { token })).status).toBe(404);
  });

  test.each([
    ['malformed JSON', '{"name": "x",'],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['a JSON string', '"x"'],
    ['binary garbage', '\u0000\u0001\uffff'],
  ])('%s is INVALID_ARGUMENT', async (_label, rawBody) => {
    const h = await makeHarness();
    const res = await h.call('POST', '/v1/ignite/secrets', { token: await h.token(), rawBody });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe(3);
  });

  test('JSON without a JSON content type is still parsed (curl -d)', async () => {
    const h = await makeHarness();
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token: await h.token(),
      rawBody: JSON.stringify(create('plain')),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
  });

  test('an unknown top-level field is refused', async () => {
    const h = await makeHarness();
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token: await h.token(),
      body: { ...create('x'), org: 'other' },
    });
    expect(res.status).toBe(400);
  });

  test.each([['GET'], ['DELETE']])(
    '%s with an invalid name in the path is INVALID_ARGUMENT',
    async (method) => {
      const h = await makeHarness();
      const res = await h.call(method, `/v1/ignite/secrets/${encodeURIComponent('a.b')}`, {
        token: await h.token(),
      });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe(3);
    },
  );

  test('a malformed percent-encoding in the path is a clean 400', async () => {
    const h = await makeHarness();
    const res = await h.call('GET', '/v1/ignite/secrets/%E0%A4%A', { token: await h.token() });
    expect(res.status).toBe(400);
  });
});

import { Code, ConnectError } from '@connectrpc/connect';
import { createMethodSerializationLookup } from '@connectrpc/connect/protocol';
import { describe, expect, test } from 'vitest';
import { SecretService } from '../../src/gen/dodil/ignite/v1/secret_pb';
import { MALFORMED_PROTOBUF, safeStatus } from '../../src/rpc/decode-errors';

// rpc/decode-errors.ts reads the text connect-es and protobuf-es put in a decode failure (the
// only marker they leave). These cases run the libraries' own request parsing, the code the
// router calls, and pin what comes out after sanitising: when an upgrade changes a message we
// depend on, this file fails instead of a token slipping into an error or a client's mistake
// turning into INTERNAL.

const SECRET = 'ghp_pinnedTestValue123';
const limits = { readMaxBytes: 1 << 20, writeMaxBytes: 1 << 20 };

/** The ConnectError the router's own parser throws for `body` (JSON, as the router is configured). */
function jsonFailure(body: string): ConnectError {
  const lookup = createMethodSerializationLookup(
    SecretService.method.createSecret,
    undefined,
    { ignoreUnknownFields: false },
    limits,
  );
  try {
    lookup.getI(false).parse(new TextEncoder().encode(body));
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error(`the library accepted ${body}`);
}

const REQUEST = 'dodil.ignite.v1.CreateSecretRequest';
const VALUE = 'dodil.ignite.v1.SecretValue';

describe('connect-es JSON decode messages, sanitised', () => {
  test.each([
    [
      'a value where an object belongs',
      `{"value":"${SECRET}"}`,
      `cannot decode message ${VALUE} from JSON: malformed JSON`,
    ],
    [
      'a wrong field type quoting input',
      `{"name":["${SECRET}"]}`,
      `cannot decode field ${REQUEST}.name from JSON: expected string`,
    ],
    ['an unknown key', '{"bogus":1}', `cannot decode message ${REQUEST} from JSON: key "bogus" is unknown`],
    [
      'both oneof members',
      '{"value":{"gitSecret":{},"registrySecret":{}}}',
      `cannot decode oneof ${VALUE}.value from JSON: oneof set multiple times by git_secret and registry_secret`,
    ],
    [
      'JSON.parse quoting the body',
      `{"value":{"gitSecret":{"token":${SECRET}}}}`,
      `cannot decode message ${REQUEST} from JSON: malformed JSON`,
    ],
    ['a cut-off body', `{"name":"${SECRET}`, `cannot decode message ${REQUEST} from JSON: malformed JSON`],
  ])('%s', (_what, body, expected) => {
    const error = jsonFailure(body);
    expect(error.code).toBe(Code.InvalidArgument);
    const safe = safeStatus('invalid_argument', error.rawMessage);
    expect(safe).toEqual({ invalidArgument: false, message: expected });
    expect(safe.message).not.toContain(SECRET);
  });
});

describe('connect-es binary decode failure', () => {
  test('is INTERNAL with the "parse binary: " prefix, which we turn into INVALID_ARGUMENT', () => {
    const lookup = createMethodSerializationLookup(
      SecretService.method.getSecret,
      undefined,
      undefined,
      limits,
    );
    let error: ConnectError | undefined;
    try {
      // Field 1 claims 5 bytes but 1 follows.
      lookup.getI(true).parse(new Uint8Array([0x0a, 0x05, 0x61]));
    } catch (e) {
      error = ConnectError.from(e);
    }
    expect(error?.code).toBe(Code.Internal);
    // Both spellings of the code our three protocols hand to safeStatus.
    for (const code of ['internal', String(Code.Internal)]) {
      expect(safeStatus(code, error?.rawMessage ?? '')).toEqual({
        invalidArgument: true,
        message: MALFORMED_PROTOBUF,
      });
    }
  });
});

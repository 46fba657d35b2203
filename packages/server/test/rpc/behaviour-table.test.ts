import { httpStatusFor } from '@dodil/shared';
import { describe, expect, test } from 'vitest';
import { BEHAVIOUR_CASES } from './support/behaviour-cases';
import { DRIVERS } from './support/drivers';
import type { Protocol } from './support/drivers';
import { startWorld } from './support/rpc-world';

// One table, three independent clients: REST (fetch), gRPC (@grpc/grpc-js
// with the shipped .proto) and Connect JSON (fetch POSTs), each against a
// fresh server on 127.0.0.1:0. Same codes, same messages, same data.
const PROTOCOLS: readonly Protocol[] = ['rest', 'grpc', 'connect'];

describe.each(PROTOCOLS)('SecretService over %s', (protocol) => {
  const cases = BEHAVIOUR_CASES.filter((c) => c.protocols === undefined || c.protocols.includes(protocol));

  test.each(cases)('$name', async (c) => {
    const w = await startWorld();
    const out = await c.run(w, DRIVERS[protocol](w));

    expect({ code: out.code, message: out.message }).toEqual({
      code: c.code,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers (expect.stringMatching) as any
      message: c.message ? expect.stringMatching(c.message) : expect.any(String),
    });
    if (c.data) expect(out.data).toEqual(c.data(w));
    if (protocol !== 'grpc') expect(out.httpStatus).toBe(c.http?.[protocol] ?? httpStatusFor(c.code));
    // Every answer, errors included, carries the request id the log has.
    expect(out.meta['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    // A throttled caller learns when to come back, on every protocol.
    if (c.code === 'RESOURCE_EXHAUSTED') expect(out.meta['retry-after']).toMatch(/^[1-9]\d*$/);
    // Nothing a client sent as a credential comes back in an error.
    if (c.code !== 'OK') expect(out.message).not.toMatch(/ghp_testtoken|reg-pass/);
  });
});

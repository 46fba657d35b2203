import { join } from 'node:path';
import { SCOPES } from '@dodil/shared';
import type { SecretValue } from '@dodil/shared';
import { openRuntime } from '../../src/runtime';
import type { Runtime } from '../../src/runtime';
import type { CallContext } from '../../src/services/context';
import { TEST_MASTER_KEY, tempDir, testClock } from './harness';

/** A context acting as an all-scope caller of `org`. */
export async function adminContext(runtime: Runtime, org: string): Promise<CallContext> {
  const record = await runtime.stores.orgs.getByName(org);
  if (record === undefined) throw new Error(`no org ${org}`);
  return {
    principal: { orgId: record.id, orgName: org, tokenId: '0000000000000000', scopes: new Set(SCOPES) },
    requestId: 'populate',
    clientAddress: 'test',
  };
}

const git = (token: string): SecretValue => ({ gitSecret: { username: 'bot', token } });

/**
 * An embedded store with history (TEST_MASTER_KEY): orgs acme and beta; acme's data key rotated
 * once with slots written before and after; tokens that are live, revoked and expired; an audit
 * chain of every step. Returns the data dir, the tokens and every slot's expected value.
 */
export async function populatedStore() {
  const dir = tempDir('dodil-populated-');
  // The clock sits in the past: the expired token is expired for any real-time reader.
  const clock = testClock();
  const runtime = await openRuntime({
    databaseFile: join(dir, 'dodil.db'),
    masterKey: TEST_MASTER_KEY,
    clock,
  });
  const slots = new Map<string, { org: string; token: string }>();
  const tokens = { live: '', beta: '', revoked: '', expired: '' };
  try {
    await runtime.admin.createOrg('acme');
    await runtime.admin.createOrg('beta');
    tokens.live = (await runtime.admin.createToken({ org: 'acme', scopes: SCOPES, name: 'live' })).token;
    tokens.beta = (await runtime.admin.createToken({ org: 'beta', scopes: SCOPES, name: 'beta' })).token;
    tokens.revoked = (
      await runtime.admin.createToken({ org: 'acme', scopes: SCOPES, name: 'revoked' })
    ).token;
    await runtime.admin.revokeToken(tokens.revoked.split('_')[1] ?? '');
    tokens.expired = (
      await runtime.admin.createToken({ org: 'acme', scopes: SCOPES, name: 'expired', expiresInMs: 60_000 })
    ).token;
    const acme = await adminContext(runtime, 'acme');
    for (let i = 0; i < 12; i++) {
      clock.advance(1000);
      await runtime.secrets.create(acme, { name: `old-${i}`, value: git(`OLD-VALUE-${i}`) });
      slots.set(`old-${i}`, { org: 'acme', token: `OLD-VALUE-${i}` });
    }
    await runtime.rotateOrgKey('acme', { dropOld: false });
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await runtime.secrets.create(acme, { name: `new-${i}`, value: git(`NEW-VALUE-${i}`) });
      slots.set(`new-${i}`, { org: 'acme', token: `NEW-VALUE-${i}` });
    }
    await runtime.secrets.create(await adminContext(runtime, 'beta'), {
      name: 'beta-only',
      value: git('BETA-VALUE'),
    });
    slots.set('beta-only', { org: 'beta', token: 'BETA-VALUE' });
    await runtime.secrets.delete(acme, 'old-0');
    slots.delete('old-0');
  } finally {
    await runtime.close();
  }
  return { dir, tokens, slots };
}

import { SCOPES } from '@dodil/shared';
import { expect, test } from 'vitest';
import { createAuditedSecretService, createSlotWriteAudit } from '../../src/audit/audited-secret-service';
import type { CallContext } from '../../src/services/context';
import { createSecretService } from '../../src/services/secret-service';
import type { SecretCore } from '../../src/services/secret-service';
import { gitValue, makeHarness } from '../support/harness';

/**
 * The secret rules over the harness's store, wrapped in the audit layer with
 * `between` in the middle (where the key guard and grants sit in compose.ts).
 */
async function world(between: (core: SecretCore) => SecretCore) {
  const h = await makeHarness();
  const { runtime, clock } = h;
  const org = await runtime.admin.createOrg('acme');
  const appendWriteEntry = createSlotWriteAudit(runtime.audit, clock);
  const core = createSecretService({
    slots: runtime.stores.slots,
    orgs: runtime.stores.orgs,
    keys: runtime.orgKeys,
    clock,
    random: runtime.random,
    inWriteTransaction: appendWriteEntry,
  });
  const secrets = createAuditedSecretService(between(core), runtime.audit, clock);
  const ctx: CallContext = {
    principal: { orgId: org.id, orgName: 'acme', tokenId: '0123456789abcdef', scopes: new Set(SCOPES) },
    requestId: 'req-receipt',
    clientAddress: '127.0.0.1',
  };
  const entriesOf = async (slot: string) => {
    await runtime.audit.flush();
    return (await runtime.audit.list({ limit: 100 })).filter((e) => e.slot === slot);
  };
  return { h, core, secrets, ctx, entriesOf };
}

/** A layer that hands a copy of the context down, as a grants check or a tracing wrapper may. */
const cloning = (inner: SecretCore): SecretCore => ({
  create: (ctx, input) => inner.create({ ...ctx, principal: { ...ctx.principal } }, input),
  get: (ctx, name) => inner.get({ ...ctx }, name),
  list: (ctx, input) => inner.list({ ...ctx }, input),
  delete: (ctx, name) => inner.delete({ ...ctx }, name),
  findRegistry: (ctx, host) => inner.findRegistry({ ...ctx }, host),
});

test('a layer that clones the call context does not double the audit entries of writes', async () => {
  const { secrets, ctx, entriesOf } = await world(cloning);
  await secrets.create(ctx, { name: 'cloned', value: gitValue('octo', 'RECEIPT-SECRET') });
  await secrets.get(ctx, 'cloned');
  await secrets.delete(ctx, 'cloned');
  await expect(secrets.get(ctx, 'cloned')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  const entries = await entriesOf('cloned');
  expect(entries.map((e) => [e.action, e.code, e.requestId])).toEqual([
    ['CreateSecret', 'OK', 'req-receipt'],
    ['GetSecret', 'OK', 'req-receipt'],
    ['DeleteSecret', 'OK', 'req-receipt'],
    ['GetSecret', 'NOT_FOUND', 'req-receipt'],
  ]);
});

test('a write returns the receipt of the audit entry that committed with it', async () => {
  const { h, core, ctx, entriesOf } = await world((core) => core);
  const created = await core.create(ctx, { name: 'receipted', value: gitValue('octo', 'RECEIPT-SECRET') });
  const deleted = await core.delete(ctx, 'receipted');
  const entries = await entriesOf('receipted');
  expect(entries.map((e) => [e.action, e.seq])).toEqual([
    ['CreateSecret', created.receipt?.auditSeq],
    ['DeleteSecret', deleted.receipt?.auditSeq],
  ]);
  expect((await h.runtime.audit.verify()).ok).toBe(true);
});

test('when the entry cannot be appended, the write rolls back and the caller gets UNAVAILABLE', async () => {
  const { h, secrets, ctx, entriesOf } = await world(cloning);
  // A head that no longer matches the tail: appending would launder a cut, so the log refuses.
  h.runtime.db.prepare("UPDATE meta SET value = x'00' WHERE key = 'audit_head'").run();
  await expect(
    secrets.create(ctx, { name: 'refused', value: gitValue('octo', 'RECEIPT-SECRET') }),
  ).rejects.toMatchObject({
    code: 'UNAVAILABLE',
  });
  expect(await h.runtime.stores.slots.get(ctx.principal.orgId, 'refused')).toBeUndefined();
  await expect(entriesOf('refused')).resolves.toEqual([]);
});

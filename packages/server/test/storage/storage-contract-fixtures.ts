import type { AuditRecord } from '../../src/storage/audit-store';
import type { OrgKeyRecord, OrgRecord, SlotRecord, Storage } from '../../src/storage/types';

/** Records and helpers shared by the storage contract's test files. */
export function contractFixtures(open: () => Promise<Storage>) {
  const org: OrgRecord = { id: 'org0000000000000000001', name: 'acme', currentKeyVersion: 1, createdAtMs: 1 };
  const key = (version: number): OrgKeyRecord => ({
    orgId: org.id,
    version,
    wrapped: new Uint8Array([version, 1, 2]),
    encryptions: 0,
    createdAtMs: 1,
  });
  const slot = (name: string, over: Partial<SlotRecord> = {}): SlotRecord => ({
    orgId: org.id,
    name,
    type: 'git_secret',
    registryHost: undefined,
    keyVersion: 1,
    ciphertext: new Uint8Array([9, 9, 9]),
    createdAtMs: 10,
    updatedAtMs: 10,
    ...over,
  });
  const entry = (seq: number, orgName = 'acme'): AuditRecord => ({
    seq,
    timeMs: 100 + seq,
    requestId: `req-${seq}`,
    tokenId: undefined,
    orgId: org.id,
    org: orgName,
    action: 'GetSecret',
    slot: `s${seq}`,
    code: 'OK',
    clientAddress: '127.0.0.1',
    detail: undefined,
    mac: new Uint8Array(32).fill(seq),
  });
  async function withOrg(): Promise<Storage> {
    const storage = await open();
    await storage.orgs.create(org, key(1));
    return storage;
  }
  const encryptions = (s: Storage, version = 1) => s.read((tx) => s.keys.encryptions(tx, org.id, version));

  return { org, key, slot, entry, withOrg, encryptions };
}

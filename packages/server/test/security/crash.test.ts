import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, expect, test } from 'vitest';
import { SCOPES } from '@dodil/shared';
import { openRuntime } from '../../src/runtime';
import { TEST_MASTER_KEY, tempDir } from '../support/harness';
import { cli, seededRandom, serverBundle, startBundle } from './support';

let bundle: { file: string };
beforeAll(() => {
  bundle = { file: serverBundle() };
});

const KILLS = 20;
const WRITERS = 6;

interface Ledger {
  /** Creates acknowledged with 200: name → value. */
  created: Map<string, string>;
  /** Deletes sent (an unacknowledged one may or may not have committed), and those acknowledged. */
  deleteTried: Set<string>;
  deleted: Set<string>;
  /** Per writer: highest counter value acknowledged, and highest attempted. */
  counterAcked: number[];
  counterTried: number[];
  /** Every 200 of any write. */
  acks: number;
}

async function post(url: string, auth: string, name: string, token: string): Promise<boolean> {
  const res = await fetch(`${url}/v1/ignite/secrets`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name, value: { gitSecret: { username: 'crash', token } } }),
  });
  return res.status === 200;
}

/** One writer until the server dies: unique creates, a counter overwrite, and deletes of its own slots. */
async function writer(url: string, auth: string, round: number, id: number, ledger: Ledger): Promise<void> {
  const mine: string[] = [];
  try {
    for (let n = 0; n < 10_000; n++) {
      const name = `r${round}-w${id}-${n}`;
      if (await post(url, auth, name, `value-${name}`)) {
        ledger.created.set(name, `value-${name}`);
        ledger.acks++;
        mine.push(name);
      }
      const counter = (ledger.counterTried[id] ?? 0) + 1;
      ledger.counterTried[id] = counter;
      if (await post(url, auth, `counter-${id}`, String(counter))) {
        ledger.counterAcked[id] = counter;
        ledger.acks++;
      }
      if (n % 3 === 2) {
        const victim = mine.shift();
        if (victim === undefined) continue;
        ledger.deleteTried.add(victim);
        const res = await fetch(`${url}/v1/ignite/secrets/${victim}`, {
          method: 'DELETE',
          headers: { authorization: auth },
        });
        if (res.status === 200) {
          ledger.deleted.add(victim);
          ledger.acks++;
        }
      }
    }
  } catch {
    // The server was killed under us: whatever was in flight is unacknowledged.
  }
}

test(`${KILLS} SIGKILLs during concurrent writes lose no acknowledged write and leave the database consistent`, async () => {
  const dir = tempDir();
  const setup = await openRuntime({ databaseFile: join(dir, 'dodil.db'), masterKey: TEST_MASTER_KEY });
  await setup.admin.createOrg('acme');
  const { token } = await setup.admin.createToken({ org: 'acme', scopes: SCOPES });
  await setup.close();
  const auth = `Bearer ${token}`;
  const ledger: Ledger = {
    created: new Map(),
    deleteTried: new Set(),
    deleted: new Set(),
    counterAcked: [],
    counterTried: [],
    acks: 0,
  };
  const random = seededRandom(42);

  for (let round = 0; round < KILLS; round++) {
    const server = await startBundle(bundle.file, dir);
    const writers = Array.from({ length: WRITERS }, (_, id) => writer(server.url, auth, round, id, ledger));
    await new Promise((r) => setTimeout(r, 30 + Math.floor(random() * 220)));
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.all(writers);
  }

  // Read back through a fresh runtime on the file the killed servers left behind.
  const raw = new BetterSqlite3(join(dir, 'dodil.db'));
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  raw.close();
  const runtime = await openRuntime({ databaseFile: join(dir, 'dodil.db'), masterKey: TEST_MASTER_KEY });
  try {
    const org = await runtime.stores.orgs.getByName('acme');
    const ctx = {
      principal: {
        orgId: org?.id ?? '',
        orgName: 'acme',
        tokenId: '0000000000000000',
        scopes: new Set(SCOPES),
      },
      requestId: 'check',
      clientAddress: 'test',
    };
    const read = async (name: string) => {
      try {
        const { value } = await runtime.secrets.get(ctx, name);
        return 'gitSecret' in value ? value.gitSecret.token : '';
      } catch {
        return undefined;
      }
    };
    const lost: string[] = [];
    for (const [name, value] of ledger.created) {
      if (!ledger.deleteTried.has(name) && (await read(name)) !== value) lost.push(name);
    }
    const resurrected: string[] = [];
    for (const name of ledger.deleted) if ((await read(name)) !== undefined) resurrected.push(name);
    const counters: string[] = [];
    for (let id = 0; id < WRITERS; id++) {
      const stored = Number((await read(`counter-${id}`)) ?? 0);
      // The in-flight overwrite may or may not have committed; an acknowledged one must have.
      if (stored < (ledger.counterAcked[id] ?? 0) || stored > (ledger.counterTried[id] ?? 0))
        counters.push(`counter-${id}=${stored}`);
    }
    console.info(
      `crash: ${KILLS} kills, ${ledger.acks} acknowledged writes, ${lost.length + resurrected.length + counters.length} lost`,
    );
    expect({ lost, resurrected, counters }).toEqual({ lost: [], resurrected: [], counters: [] });
    expect(ledger.created.size).toBeGreaterThan(KILLS);
  } finally {
    await runtime.close();
  }
  // Every write carried its audit entry in its own transaction: the chain survived every kill.
  expect((await cli(['audit', 'verify', '--data-dir', dir])).code).toBe(0);
}, 60_000);

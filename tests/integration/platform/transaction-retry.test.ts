import { DataSource } from 'typeorm';
import { Principal, Role } from '@vc/contracts';
import { commonTablesUp, createServiceDataSource } from '@vc/database';
import { Outbox, ServiceDefinition, UnitOfWork } from '@vc/platform';
import { createTestDatabase, TestDatabase } from '@vc/testing';

const SCHEMA = 'retry_test';
const someone: Principal = { sub: 'op-1', role: Role.ProgrammeOperator, org: 'JS', province: 'JS' };

/** A promise and its resolver: where the first attempts of two transactions meet. */
function meeting(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return () => {
    if (++arrived === parties) open();
    return opened;
  };
}

/**
 * Two requests that deadlock (each holds a row the other wants) are both answered: PostgreSQL
 * aborts one of them (40P01), and the unit of work runs it again once the other has committed,
 * instead of answering with an error (real PostgreSQL).
 */
describe('a transaction that lost to a concurrent one runs again inside the service', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let uow: UnitOfWork;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createServiceDataSource({ url: db.url, schema: SCHEMA, migrations: [], poolSize: 4, applicationName: 'retry-test' });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const statement of commonTablesUp(SCHEMA)) await ds.query(statement);
    await ds.query(`CREATE TABLE ${SCHEMA}.counters (id int PRIMARY KEY, n int NOT NULL)`);
    await ds.query(`INSERT INTO ${SCHEMA}.counters VALUES (1, 0), (2, 0)`);
    const outbox = { nudge: () => undefined } as unknown as Outbox;
    uow = new UnitOfWork(ds, outbox, { name: 'retry-test', schema: SCHEMA } as ServiceDefinition);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('a deadlock between two requests: both take effect, each once', async () => {
    const meet = meeting(2);
    let attempts = 0;
    const crosswise = (first: number, second: number, key: string) =>
      uow.idempotent(someone, 'counters.bump', key, { first, second }, async (work) => {
        const attempt = ++attempts;
        await work.query(`UPDATE ${SCHEMA}.counters SET n = n + 1 WHERE id = $1`, [first]);
        if (attempt <= 2) await meet(); // both hold their first row before either asks for its second
        await work.query(`UPDATE ${SCHEMA}.counters SET n = n + 1 WHERE id = $1`, [second]);
        return { bumped: [first, second] };
      });
    const replies = await Promise.all([crosswise(1, 2, 'a'), crosswise(2, 1, 'b')]);
    expect(replies).toEqual([{ bumped: [1, 2] }, { bumped: [2, 1] }]);
    expect(attempts).toBe(3); // the deadlock's victim ran once more
    expect(await ds.query(`SELECT id, n FROM ${SCHEMA}.counters ORDER BY id`)).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
    expect((await ds.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.idempotency`))[0].n).toBe(2);
  });

  it('a unique key inserted by a concurrent request between the check and the insert: run once more, the check sees it', async () => {
    await ds.query(`CREATE TABLE ${SCHEMA}.names (name text PRIMARY KEY, owner text NOT NULL)`);
    const meet = meeting(2);
    let attempts = 0;
    const claimName = (owner: string) =>
      uow.run(someone, async (work) => {
        const attempt = ++attempts;
        const [taken] = await work.query(`SELECT owner FROM ${SCHEMA}.names WHERE name = 'x'`);
        if (taken) return { owner: taken.owner, mine: taken.owner === owner };
        if (attempt <= 2) await meet(); // both found the name free
        await work.query(`INSERT INTO ${SCHEMA}.names VALUES ('x', $1)`, [owner]);
        return { owner, mine: true };
      });
    const [a, b] = await Promise.all([claimName('a'), claimName('b')]);
    expect([a.mine, b.mine].sort()).toEqual([false, true]);
    expect(a.owner).toBe(b.owner);
    expect(attempts).toBe(3);
  });
});

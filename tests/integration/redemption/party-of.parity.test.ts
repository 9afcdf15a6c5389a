import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Principal, Role } from '@vc/contracts';
import { createServiceDataSource, migrate } from '@vc/database';
import { createTestDatabase, TestDatabase } from '@vc/testing';
import { partyOf } from '../../../apps/redemption/src/access';
import { redemptionMigrations } from '../../../apps/redemption/src/migrations';
import { newCreditCode } from '../../fixtures/credit-codes';

jest.setTimeout(60_000);

/**
 * Who acts for which party of an order is said twice: partyOf (apps/redemption/src/access.ts, from
 * libs/auth's actsForProvider / actsForEnterprise) for the use cases, redemption.party_of for the
 * pay functions, which decide in SQL. For any principal and any order they give the same party.
 */
describe('redemption: party_of in SQL = partyOf in TypeScript (fast-check; real PostgreSQL)', () => {
  let db: TestDatabase;
  let c: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    const ds = createServiceDataSource({ url: db.url, schema: 'redemption', migrations: redemptionMigrations, poolSize: 2, applicationName: 'party-of' });
    await ds.initialize();
    try {
      await migrate(ds, 'redemption');
    } finally {
      await ds.destroy();
    }
    c = new Client({ connectionString: db.url });
    await c.connect();
  });
  afterAll(async () => {
    await c?.end();
    await db?.drop();
  });

  it('R-ORDER-1: the same party (or none) for every principal, order and spelling of an organisation', async () => {
    // a few credit codes, so that an enterprise and a provider sometimes share one (one legal entity)
    const codes = [newCreditCode(), newCreditCode(), newCreditCode()];
    const order = fc.record({ enterprise_id: fc.uuid(), enterprise_credit_code: fc.constantFrom(...codes), provider_id: fc.uuid(), provider_credit_code: fc.constantFrom(...codes) });
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        order,
        fc.constantFrom(Role.Provider, Role.Enterprise, Role.ProgrammeOperator, Role.DeltaOperator, Role.Service),
        fc.constantFrom('provider_id', 'provider_credit_code', 'enterprise_id', 'enterprise_credit_code', 'other', 'upper'),
        async (row, role, which) => {
          const org =
            which === 'other' ? randomUUID() : which === 'upper' ? row.provider_id.toUpperCase() : (row as Record<string, string>)[which];
          const principal: Principal = { sub: 'u', role, org };
          const { rows } = await c.query(`SELECT redemption.party_of($1, $2, $3, $4, $5, $6) AS party`, [
            role, org, row.enterprise_id, row.enterprise_credit_code, row.provider_id, row.provider_credit_code,
          ]);
          const expected = partyOf(principal, { ...row, programme_id: 'JS-2026' });
          seen.add(String(expected));
          expect({ role, which, party: rows[0].party }).toEqual({ role, which, party: expected });
        },
      ),
      { numRuns: 300 },
    );
    expect([...seen].sort()).toEqual(['enterprise', 'null', 'provider']);
  });
});

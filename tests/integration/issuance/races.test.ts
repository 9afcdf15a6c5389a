import { Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { createRegion, key } from '../../fixtures/issuance';
import { enterprise } from '../../fixtures/principals';

const S = Subjects.issuance;
const YEAR = 2026;

/**
 * Requests that race for one issuance object get the answers the rules give — one wins, the
 * others are told why not — never an internal error (real PostgreSQL + NATS).
 */
describe('issuance: requests racing for one object', () => {
  let sys: TestSystem;
  let region: { id: string };

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-04-20T10:00:00+08:00' });
    region = await createRegion(sys.client, 'JS', '苏州工业园区');
  });
  afterAll(async () => sys?.stop());

  const registered = async () => {
    const code = newCreditCode();
    const e = await sys.client.ok(S.enterpriseRegister, { creditCode: code, name: '苏州示范光电有限公司', regionId: region.id }, { principal: enterprise(code), idempotencyKey: key() });
    return { id: e.id as string, principal: enterprise(e.id) };
  };

  it('R-ENT-2: two enterprises filing the same SME number at once: one has it, the other is told it is taken (ALREADY_EXISTS, registrationNumber)', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await registered(), await registered()];
      const registrationNumber = `${YEAR}32059${String(round).padStart(5, '0')}`;
      const replies = await Promise.all(
        [a, b].map((e) => sys.client.call(S.enterpriseSetSme, { enterpriseId: e.id, year: YEAR, registrationNumber }, { principal: e.principal, idempotencyKey: key() })),
      );
      expect(replies.filter((r) => r.ok)).toHaveLength(1);
      expect(replies.find((r) => !r.ok)).toMatchObject({
        ok: false,
        error: { code: 'ALREADY_EXISTS', field: 'registrationNumber', message: `${registrationNumber} is on file for another enterprise` },
      });
      const holders = await sql(sys.db.url, `SELECT enterprise_id FROM issuance.sme_registrations WHERE year = $1 AND registration_number = $2`, [YEAR, registrationNumber]);
      expect(holders).toHaveLength(1);
    }
  });
});

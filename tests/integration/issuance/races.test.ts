import { Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, key, openProgramme } from '../../fixtures/issuance';
import { enterprise, operatorOf } from '../../fixtures/principals';

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
    await openProgramme(sys.client, 'JS', YEAR);
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

  it('R-PROG-1: new versions and quota claims racing on one open programme are all answered; versions are numbered without a gap, every claim is granted once', async () => {
    const op = operatorOf('JS');
    const programmeId = `JS-${YEAR}`;
    const enterprises = [await approvedEnterprise(sys.client, region.id, 'JS', YEAR), await approvedEnterprise(sys.client, region.id, 'JS', YEAR)];
    const [{ n: before }] = await sql(sys.db.url, `SELECT max(version)::int AS n FROM issuance.programme_versions WHERE programme_id = $1`, [programmeId]);
    const ROUNDS = 5;
    for (let round = 0; round < ROUNDS; round++) {
      // two new versions and two quota claims at the same moment: each waits for the one before it
      // (a version locks the programme, a claim shares it), then reads the programme as it now is
      const replies = await Promise.all([
        sys.client.call(S.programmeUpdate, { programmeId, ...DEFAULT_PARAMETERS, rewardRateBp: 400 - round }, { principal: op, idempotencyKey: key() }),
        sys.client.call(S.programmeUpdate, { programmeId, ...DEFAULT_PARAMETERS, rewardRateBp: 300 + round }, { principal: op, idempotencyKey: key() }),
        ...enterprises.map((e) => sys.client.call(S.quotaClaim, { enterpriseId: e.id, amountFen: 1_000 }, { principal: e.principal, idempotencyKey: key() })),
      ]);
      expect(replies.filter((r) => !r.ok).map((r) => r.error)).toEqual([]);
    }
    const versions = (await sql(sys.db.url, `SELECT version FROM issuance.programme_versions WHERE programme_id = $1 ORDER BY version`, [programmeId])).map((r) => r.version);
    expect(versions).toEqual(Array.from({ length: before + 2 * ROUNDS }, (_v, i) => i + 1));
    const [programme] = await sql(sys.db.url, `SELECT current_version FROM issuance.programmes WHERE id = $1`, [programmeId]);
    expect(programme.current_version).toBe(before + 2 * ROUNDS);
    for (const e of enterprises) {
      const [quota] = await sql(sys.db.url, `SELECT claimed_fen::int AS fen FROM issuance.quota_years WHERE enterprise_id = $1 AND programme_id = $2`, [e.id, programmeId]);
      expect(quota.fen).toBe(ROUNDS * 1_000);
      const [ledger] = await sql(sys.db.url, `SELECT count(*)::int AS n, sum(amount_fen)::int AS fen FROM issuance.ledger_entries WHERE enterprise_id = $1 AND entry_type = 'quota_claimed'`, [e.id]);
      expect(ledger).toEqual({ n: ROUNDS, fen: ROUNDS * 1_000 });
    }
  });
});

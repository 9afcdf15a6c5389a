import { randomUUID } from 'node:crypto';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { insertRun, migrateSettlement, undoLastSettlementMigration } from './migrations';

/**
 * Migrations 1764000000411–413 on a settlement database a former build left: the shipped calendar
 * years loaded as version 1; instructions already written become the runs' own, each the first of
 * its chain, outstanding at the bank; the bank ledger identities hold over them; undone, the
 * former constraint (one instruction per run and payee) is back.
 */
jest.setTimeout(60_000);

describe('settlement migrations 1764000000411–413 (calendar as data, payments through the bank)', () => {
  let db: TestDatabase;
  const run = randomUUID();
  const payee = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateSettlement(db.url, 10);
    await insertRun(db.url, run, '2026Q2', 'completed');
    await sql(
      db.url,
      `INSERT INTO settlement.instructions (run_id, programme_id, payee_type, payee_id, payee_name, claim_count, total_fen) VALUES ($1, 'JS-2026', 'provider', $2, '示范中心', 2, 500)`,
      [run, payee],
    );
    await migrateSettlement(db.url, 13);
  });
  afterAll(async () => db?.drop());

  it('loads the shipped years and carries the instructions written before over, outstanding', async () => {
    expect(await sql(db.url, `SELECT year, version, notice_number, loaded_by_sub FROM settlement.calendar_current ORDER BY year`)).toEqual([
      { year: 2025, version: 1, notice_number: '国办发明电〔2024〕12号', loaded_by_sub: 'release' },
      { year: 2026, version: 1, notice_number: '国办发明电〔2025〕7号', loaded_by_sub: 'release' },
    ]);
    const [i] = await sql(db.url, `SELECT id, kind, origin_id, bank_status, account_version, reissue_of FROM settlement.instructions`);
    expect(i).toEqual({ id: i.id, kind: 'run', origin_id: i.id, bank_status: 'outstanding', account_version: null, reissue_of: null });
    const bankChecks = (await runLedgerChecks(db.url)).filter((r) => /^(instructed =|nothing paid twice|bank answers)/.test(r.name));
    expect(bankChecks.map((r) => [r.name.split(':')[0], r.status])).toEqual([
      ['instructed = settled + returned + outstanding', 'ok'],
      ['nothing paid twice', 'ok'],
      ['bank answers = instruction states', 'ok'],
    ]);
  });

  it('is undone: one instruction per run and payee again, the calendar table gone', async () => {
    await undoLastSettlementMigration(db.url);
    await undoLastSettlementMigration(db.url);
    await expect(
      sql(db.url, `INSERT INTO settlement.instructions (run_id, programme_id, payee_type, payee_id, payee_name, claim_count, total_fen) VALUES ($1, 'JS-2026', 'provider', $2, 'x', 1, 1)`, [run, payee]),
    ).rejects.toThrow(/instructions_run_id_payee_type_payee_id_key/);
    await undoLastSettlementMigration(db.url);
    expect(await sql(db.url, `SELECT to_regclass('settlement.calendar_years') AS t`)).toEqual([{ t: null }]);
    await migrateSettlement(db.url, 13);
    expect((await sql(db.url, `SELECT count(*)::int AS n FROM settlement.instructions`))[0].n).toBe(1);
  });
});

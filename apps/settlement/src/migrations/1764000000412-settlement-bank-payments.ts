import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payments through the bank (SPEC 5.6 step 3, R-PAY-1, R-LEDGER-1).
 *
 * - `bank_accounts`: the paying account of each programme and the receiving account of each payee
 *   (provider unit, enterprise), versioned and append-only like the calendar: a change, such as
 *   corrected details after a returned payment, is a new version. `bank_accounts_current` is the
 *   highest version of each.
 * - Each payment instruction keeps the account it was written for (a snapshot: a later change of the
 *   payee's details never changes what was sent), and its bank status: `outstanding` (in the run's
 *   pain.001 file, no final answer yet), `settled`, `returned` (with the bank's reason code), or
 *   `held` (the payee had no account on file: nothing was sent). A returned or held instruction
 *   waits for the payee's (new) details and is then paid again, once, by the programme's next
 *   disbursement: a `reissue` instruction of that run names it (`reissue_of`, unique) and the
 *   first instruction of the chain (`origin_id`). The run's own instructions stay one per payee;
 *   a reissue is beside them.
 * - `bank_reports` and `bank_report_entries`: every answer of the bank imported (pain.002 status
 *   report, camt.054 notification), line by line with what it did, append-only; a file is
 *   recognised by its digest and never applied twice.
 *
 * Instructions written before this migration have no account snapshot and stay `outstanding` until
 * the bank's answer for them is imported.
 */
export class SettlementBankPayments1764000000412 implements MigrationInterface {
  name = 'SettlementBankPayments1764000000412';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE settlement.bank_accounts (
        owner_type text NOT NULL CHECK (owner_type IN ('programme', 'provider', 'enterprise')),
        owner_id text NOT NULL,
        version int NOT NULL CHECK (version >= 1),
        holder_name text NOT NULL,
        holder_credit_code text,
        account_number text NOT NULL,
        bank_name text NOT NULL,
        bank_code text NOT NULL,
        reason text,
        submitted_by_sub text NOT NULL,
        submitted_by_role text NOT NULL,
        submitted_by_org text NOT NULL,
        submitted_at timestamptz NOT NULL,
        PRIMARY KEY (owner_type, owner_id, version)
      )`);
    await q.query(`
      CREATE VIEW settlement.bank_accounts_current AS
      SELECT DISTINCT ON (owner_type, owner_id) * FROM settlement.bank_accounts ORDER BY owner_type, owner_id, version DESC`);

    await q.query(`
      ALTER TABLE settlement.instructions
        ADD COLUMN kind text NOT NULL DEFAULT 'run' CHECK (kind IN ('run', 'reissue')),
        ADD COLUMN reissue_of uuid UNIQUE REFERENCES settlement.instructions(id),
        ADD COLUMN origin_id uuid,
        ADD COLUMN payee_credit_code text,
        ADD COLUMN account_version int,
        ADD COLUMN holder_name text,
        ADD COLUMN account_number text,
        ADD COLUMN bank_name text,
        ADD COLUMN bank_code text,
        ADD COLUMN bank_status text NOT NULL DEFAULT 'outstanding' CHECK (bank_status IN ('held', 'outstanding', 'settled', 'returned')),
        ADD COLUMN bank_reason_code text,
        ADD COLUMN bank_reason text,
        ADD COLUMN bank_status_at timestamptz,
        ADD CONSTRAINT instructions_reissue CHECK ((kind = 'reissue') = (reissue_of IS NOT NULL)),
        ADD CONSTRAINT instructions_held_unsent CHECK (bank_status <> 'held' OR account_version IS NULL)`);
    await q.query(`UPDATE settlement.instructions SET origin_id = id`);
    await q.query(`ALTER TABLE settlement.instructions ALTER COLUMN origin_id SET NOT NULL`);
    // One own instruction per payee and run, as before; reissues stand beside it.
    await q.query(`ALTER TABLE settlement.instructions DROP CONSTRAINT instructions_run_id_payee_type_payee_id_key`);
    await q.query(`CREATE UNIQUE INDEX instructions_run_payee ON settlement.instructions (run_id, payee_type, payee_id) WHERE kind = 'run'`);
    await q.query(`CREATE INDEX instructions_waiting ON settlement.instructions (programme_id) WHERE bank_status IN ('held', 'returned')`);
    await q.query(`CREATE INDEX instructions_payee ON settlement.instructions (payee_type, payee_id)`);

    await q.query(`
      CREATE TABLE settlement.bank_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the order reports were applied in (several may share a business-clock instant)
        seq bigserial NOT NULL UNIQUE,
        format text NOT NULL CHECK (format IN ('pain.002', 'camt.054')),
        message_id text NOT NULL,
        digest text NOT NULL UNIQUE,
        province text NOT NULL,
        entry_count int NOT NULL,
        applied_count int NOT NULL,
        imported_by_sub text NOT NULL,
        imported_by_role text NOT NULL,
        imported_by_org text NOT NULL,
        imported_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE settlement.bank_report_entries (
        report_id uuid NOT NULL REFERENCES settlement.bank_reports(id),
        line int NOT NULL,
        reference text,
        instruction_id uuid,
        status text NOT NULL CHECK (status IN ('settled', 'returned', 'pending')),
        reason_code text,
        reason text,
        amount_fen bigint,
        outcome text NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'acknowledged', 'unknown', 'amount_differs', 'conflict')),
        previous_status text,
        PRIMARY KEY (report_id, line)
      )`);
    await q.query(`CREATE INDEX bank_report_entries_instruction ON settlement.bank_report_entries (instruction_id) WHERE instruction_id IS NOT NULL`);

    await q.query(`CREATE FUNCTION settlement.bank_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
      END $$`);
    for (const table of ['bank_accounts', 'bank_reports', 'bank_report_entries']) {
      await q.query(`CREATE TRIGGER ${table}_no_update BEFORE UPDATE OR DELETE ON settlement.${table}
        FOR EACH ROW EXECUTE FUNCTION settlement.bank_records_append_only()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON settlement.${table}
        FOR EACH STATEMENT EXECUTE FUNCTION settlement.bank_records_append_only()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement.bank_report_entries, settlement.bank_reports`);
    await q.query(`DROP INDEX settlement.instructions_payee, settlement.instructions_waiting, settlement.instructions_run_payee`);
    await q.query(`DELETE FROM settlement.instructions WHERE kind = 'reissue'`);
    await q.query(`ALTER TABLE settlement.instructions ADD CONSTRAINT instructions_run_id_payee_type_payee_id_key UNIQUE (run_id, payee_type, payee_id)`);
    await q.query(`
      ALTER TABLE settlement.instructions
        DROP CONSTRAINT instructions_held_unsent, DROP CONSTRAINT instructions_reissue,
        DROP COLUMN kind, DROP COLUMN reissue_of, DROP COLUMN origin_id, DROP COLUMN payee_credit_code, DROP COLUMN account_version,
        DROP COLUMN holder_name, DROP COLUMN account_number, DROP COLUMN bank_name, DROP COLUMN bank_code, DROP COLUMN bank_status,
        DROP COLUMN bank_reason_code, DROP COLUMN bank_reason, DROP COLUMN bank_status_at`);
    await q.query(`DROP VIEW settlement.bank_accounts_current`);
    await q.query(`DROP TABLE settlement.bank_accounts`);
    await q.query(`DROP FUNCTION settlement.bank_records_append_only`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-CLAIM-2, R-CLAIM-3:
 * - An invoice is compared by its canonical key (libs/domain invoiceIdentity: NFKC, no separators,
 *   the form named: 'D' + the 20 digits of a digital e-invoice, 'V' + code + '-' + number of a VAT
 *   invoice), computed by the service and stored beside the raw text; a VAT invoice's code is kept
 *   too. Claims from before carry 'D' + their digits when those are 20 digits, else 'L' + their
 *   text in the same canonical spelling; two of them that now share a key are reported (the older
 *   keeps it; the other is suffixed with its id and flagged for inspection).
 * - `invoice_keys` is the one place an invoice key is held, by a claim's current evidence or by an
 *   amendment it proposes, so that neither can be taken by another claim. A claim's amendment is a
 *   proposal until settlement answers (accepted: the evidence changes; refused: it stays).
 */
export class RedemptionInvoiceIdentity1764000000207 implements MigrationInterface {
  name = 'RedemptionInvoiceIdentity1764000000207';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE redemption.claims ALTER COLUMN invoice_key DROP EXPRESSION`);
    await q.query(`ALTER TABLE redemption.claims
      ADD COLUMN invoice_code text,
      ADD COLUMN proposed_amendment jsonb,
      ADD COLUMN amendment_status text CHECK (amendment_status IN ('proposed', 'accepted', 'refused')),
      ADD COLUMN amendment_revision int,
      ADD COLUMN amendment_reason text,
      ADD COLUMN amendment_decided_at timestamptz`);
    await q.query(`DROP INDEX redemption.claims_invoice`);
    await q.query(`
      WITH canonical AS (
        SELECT id, upper(regexp_replace(normalize(invoice_number, NFKC), '[^[:alnum:]]', '', 'g')) AS text FROM redemption.claims),
      keyed AS (
        SELECT c.id, CASE WHEN k.text ~ '^[0-9]{20}$' THEN 'D' || k.text ELSE 'L' || k.text END AS key,
               row_number() OVER (PARTITION BY CASE WHEN k.text ~ '^[0-9]{20}$' THEN 'D' || k.text ELSE 'L' || k.text END ORDER BY c.submitted_at, c.id) AS n
          FROM redemption.claims c JOIN canonical k ON k.id = c.id)
      UPDATE redemption.claims c SET invoice_key = CASE WHEN keyed.n = 1 THEN keyed.key ELSE keyed.key || '#' || c.id END
        FROM keyed WHERE keyed.id = c.id`);
    // Claims the old rule let through under another spelling of an invoice already claimed: flagged.
    await q.query(`
      INSERT INTO redemption.invoice_flags (invoice_number, invoice_key, order_id, existing_claim_id, flagged_by_sub, flagged_by_role, flagged_by_org)
      SELECT d.invoice_number, split_part(d.invoice_key, '#', 1), d.order_id, f.id, 'migration-1764000000207', 'service', 'redemption'
        FROM redemption.claims d JOIN redemption.claims f ON f.invoice_key = split_part(d.invoice_key, '#', 1)
       WHERE d.invoice_key LIKE '%#%'
      ON CONFLICT DO NOTHING`);
    await q.query(`CREATE UNIQUE INDEX claims_invoice ON redemption.claims (invoice_key)`);
    await q.query(`
      CREATE TABLE redemption.invoice_keys (
        invoice_key text PRIMARY KEY,
        claim_id uuid NOT NULL REFERENCES redemption.claims(id),
        holds text NOT NULL CHECK (holds IN ('current', 'proposed')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX invoice_keys_claim ON redemption.invoice_keys (claim_id)`);
    await q.query(`INSERT INTO redemption.invoice_keys (invoice_key, claim_id, holds) SELECT invoice_key, id, 'current' FROM redemption.claims`);
    // A refused duplicate flags the claim holding the invoice only when it comes from the same party
    // (the same provider legal entity, or the same enterprise); another's attempt is kept for
    // inspection without touching that claim.
    await q.query(`ALTER TABLE redemption.invoice_flags ADD COLUMN flags_existing boolean NOT NULL DEFAULT true`);
    // The claim as its parties read it: with the VAT invoice's code and the amendment awaiting, or
    // last answered by, settlement.
    await q.query(`
      CREATE OR REPLACE FUNCTION redemption.claim_json(c redemption.claims) RETURNS json LANGUAGE sql STABLE AS $$
        SELECT json_build_object(
          'id', c.id, 'orderId', c.order_id, 'programmeId', c.programme_id, 'programmeVersion', c.programme_version,
          'mode', c.mode, 'enterpriseId', c.enterprise_id, 'providerId', c.provider_id,
          'payeeType', c.payee_type, 'payeeId', c.payee_id, 'amountFen', c.amount_fen, 'voucherFen', c.voucher_fen,
          'owedFen', c.owed_fen, 'contractRef', c.contract_ref, 'invoiceNumber', c.invoice_number, 'invoiceCode', c.invoice_code,
          'invoiceAmountFen', c.invoice_amount_fen, 'bankTransferRef', c.bank_transfer_ref, 'bankAmountFen', c.bank_amount_fen,
          'status', c.status, 'revision', c.revision, 'submittedAt', redemption.iso(c.submitted_at),
          'amendedAt', redemption.iso(c.amended_at), 'decidedAt', redemption.iso(c.decided_at),
          'decisionReason', c.decision_reason, 'paidAt', redemption.iso(c.paid_at),
          'amendment', CASE WHEN c.amendment_status IS NULL THEN NULL ELSE json_build_object(
            'status', c.amendment_status, 'revision', c.amendment_revision, 'reason', c.amendment_reason,
            'decidedAt', redemption.iso(c.amendment_decided_at), 'proposed', c.proposed_amendment - 'invoiceKey') END)
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION redemption.claim_json(c redemption.claims) RETURNS json LANGUAGE sql STABLE AS $$
        SELECT json_build_object(
          'id', c.id, 'orderId', c.order_id, 'programmeId', c.programme_id, 'programmeVersion', c.programme_version,
          'mode', c.mode, 'enterpriseId', c.enterprise_id, 'providerId', c.provider_id,
          'payeeType', c.payee_type, 'payeeId', c.payee_id, 'amountFen', c.amount_fen, 'voucherFen', c.voucher_fen,
          'owedFen', c.owed_fen, 'contractRef', c.contract_ref, 'invoiceNumber', c.invoice_number,
          'invoiceAmountFen', c.invoice_amount_fen, 'bankTransferRef', c.bank_transfer_ref, 'bankAmountFen', c.bank_amount_fen,
          'status', c.status, 'revision', c.revision, 'submittedAt', redemption.iso(c.submitted_at),
          'amendedAt', redemption.iso(c.amended_at), 'decidedAt', redemption.iso(c.decided_at),
          'decisionReason', c.decision_reason, 'paidAt', redemption.iso(c.paid_at))
      $$`);
    await q.query(`ALTER TABLE redemption.invoice_flags DROP COLUMN flags_existing`);
    await q.query(`DROP TABLE redemption.invoice_keys`);
    await q.query(`DROP INDEX redemption.claims_invoice`);
    await q.query(`ALTER TABLE redemption.claims DROP COLUMN invoice_key`);
    await q.query(`ALTER TABLE redemption.claims ADD COLUMN invoice_key text GENERATED ALWAYS AS (upper(regexp_replace(invoice_number, '\\s', '', 'g'))) STORED`);
    await q.query(`CREATE UNIQUE INDEX claims_invoice ON redemption.claims (invoice_key)`);
    await q.query(`ALTER TABLE redemption.claims DROP COLUMN invoice_code, DROP COLUMN proposed_amendment, DROP COLUMN amendment_status,
      DROP COLUMN amendment_revision, DROP COLUMN amendment_reason, DROP COLUMN amendment_decided_at`);
  }
}

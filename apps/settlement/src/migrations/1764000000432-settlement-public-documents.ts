import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A published run's public documents (R-PUB-1: the PDF notice, the list as CSV and XLSX) are
 * rendered once when the run is published, and again only when its public state changes; a
 * download reads the stored bytes (issue 29: rendering the PDF on each request took 340–560 ms of
 * settlement's CPU, and 80 anonymous downloads made operator calls time out).
 *
 * `public_documents`: one row per run and document, with the public state it was rendered from
 * (`source`), its ETag, and its bytes (null when larger than a reply carries: the CLI writes it).
 * `public_document_renders`: per run, the state last rendered, a lease so that one instance renders
 * at a time, and how often it rendered (for operators and the tests).
 */
export class SettlementPublicDocuments1764000000432 implements MigrationInterface {
  name = 'SettlementPublicDocuments1764000000432';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE settlement.public_documents (
        run_id uuid NOT NULL REFERENCES settlement.runs (id),
        name text NOT NULL CHECK (name IN ('notice.pdf', 'list.csv', 'list.xlsx')),
        source text NOT NULL,
        etag text NOT NULL,
        content bytea,
        bytes int NOT NULL CHECK (bytes >= 0),
        rendered_at timestamptz NOT NULL,
        PRIMARY KEY (run_id, name)
      )`);
    await q.query(`
      CREATE TABLE settlement.public_document_renders (
        run_id uuid PRIMARY KEY REFERENCES settlement.runs (id),
        source text,
        rendered_at timestamptz,
        renders int NOT NULL DEFAULT 0,
        lease_until timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement.public_document_renders`);
    await q.query(`DROP TABLE settlement.public_documents`);
  }
}

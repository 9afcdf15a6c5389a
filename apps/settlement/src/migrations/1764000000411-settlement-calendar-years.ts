import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The working-day calendar as operations data (SPEC 3): each year's State Council schedule, loaded
 * by a delta operator, validated (libs/domain `parseCalendarYear`), audited and versioned. A
 * correction is a new version that names the one it supersedes; no row is ever changed or
 * removed (the trigger below). The current schedule of a year is its highest version
 * (`settlement.calendar_current`). Every settlement instance reads it from here when it counts a
 * publicity window, so a year loaded through one instance (or the CLI) is in use by all at once.
 *
 * The years the repository ships, each citing its notice, are the first versions, loaded by the
 * release. A run records the versions its publicity window was counted on (runs.publicity_calendar).
 * A schedule is kept as written out (date arrays), with a digest of its content, so that
 * loading the same file again is recognised and changes nothing.
 */
/**
 * The years shipped with the release of this migration, as libs/domain read them from its
 * calendar files then (holiday ranges written out) with their digest (calendarDigest): frozen
 * here, so that a year shipped later reaches a database by a migration of its own or by
 * `settle calendar load`, never by this one running differently.
 */
const SHIPPED = [
  {
    year: 2025,
    notice: { title: '国务院办公厅关于2025年部分节假日安排的通知', number: '国办发明电〔2024〕12号', publishedOn: '2024-11-12' },
    holidays: [
      '2025-01-01', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01', '2025-02-02',
      '2025-02-03', '2025-02-04', '2025-04-04', '2025-04-05', '2025-04-06', '2025-05-01', '2025-05-02',
      '2025-05-03', '2025-05-04', '2025-05-05', '2025-05-31', '2025-06-01', '2025-06-02', '2025-10-01',
      '2025-10-02', '2025-10-03', '2025-10-04', '2025-10-05', '2025-10-06', '2025-10-07', '2025-10-08',
    ],
    workdays: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
    digest: '61c4e68124aaa0881c48b39bdbcf15f1c611a28cdc474e4cdbf79d23069f3cd7',
  },
  {
    year: 2026,
    notice: { title: '国务院办公厅关于2026年部分节假日安排的通知', number: '国办发明电〔2025〕7号', publishedOn: '2025-11-04' },
    holidays: [
      '2026-01-01', '2026-01-02', '2026-01-03', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18',
      '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23', '2026-04-04', '2026-04-05',
      '2026-04-06', '2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05', '2026-06-19',
      '2026-06-20', '2026-06-21', '2026-09-25', '2026-09-26', '2026-09-27', '2026-10-01', '2026-10-02',
      '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07',
    ],
    workdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
    digest: '40232bc2419bc246e30f901dfb6eda74ed7adabc7c76dca5c11d08e436aba576',
  },
];

export class SettlementCalendarYears1764000000411 implements MigrationInterface {
  name = 'SettlementCalendarYears1764000000411';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE settlement.calendar_years (
        year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
        version int NOT NULL CHECK (version >= 1),
        notice_title text NOT NULL,
        notice_number text NOT NULL,
        notice_published_on date NOT NULL,
        test_fixture boolean NOT NULL,
        holidays date[] NOT NULL,
        workdays date[] NOT NULL,
        digest text NOT NULL,
        supersedes int CHECK (supersedes = version - 1),
        reason text,
        loaded_by_sub text NOT NULL,
        loaded_by_role text NOT NULL,
        loaded_by_org text NOT NULL,
        loaded_at timestamptz NOT NULL,
        PRIMARY KEY (year, version),
        CHECK ((version = 1) = (supersedes IS NULL)),
        CHECK (supersedes IS NULL OR reason IS NOT NULL)
      )`);
    await q.query(`CREATE FUNCTION settlement.calendar_years_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'calendar_years is append-only: a correction is a new version';
      END $$`);
    await q.query(`CREATE TRIGGER calendar_years_no_update BEFORE UPDATE OR DELETE ON settlement.calendar_years
      FOR EACH ROW EXECUTE FUNCTION settlement.calendar_years_append_only()`);
    await q.query(`CREATE TRIGGER calendar_years_no_truncate BEFORE TRUNCATE ON settlement.calendar_years
      FOR EACH STATEMENT EXECUTE FUNCTION settlement.calendar_years_append_only()`);
    // The versions a run's publicity window was counted on: [{ "year": 2026, "version": 1 }, …].
    await q.query(`ALTER TABLE settlement.runs ADD COLUMN publicity_calendar jsonb`);
    await q.query(`
      CREATE VIEW settlement.calendar_current AS
      SELECT DISTINCT ON (year) * FROM settlement.calendar_years ORDER BY year, version DESC`);
    for (const y of SHIPPED) {
      await q.query(
        `INSERT INTO settlement.calendar_years (year, version, notice_title, notice_number, notice_published_on, test_fixture, holidays, workdays,
           digest, loaded_by_sub, loaded_by_role, loaded_by_org, loaded_at)
         VALUES ($1, 1, $2, $3, $4, false, $5::date[], $6::date[], $7, 'release', 'service', 'settlement', now())`,
        [y.year, y.notice.title, y.notice.number, y.notice.publishedOn, y.holidays, y.workdays, y.digest],
      );
      await q.query(
        `INSERT INTO settlement.audit_log (principal_sub, principal_role, principal_org, action, entity_type, entity_id, reason, data)
         VALUES ('release', 'service', 'settlement', 'calendar.loaded', 'calendar_year', $1, 'shipped with the repository', $2)`,
        [String(y.year), JSON.stringify({ version: 1, notice: y.notice, holidays: y.holidays.length, workdays: y.workdays.length })],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW settlement.calendar_current`);
    await q.query(`ALTER TABLE settlement.runs DROP COLUMN publicity_calendar`);
    await q.query(`DROP TABLE settlement.calendar_years`);
    await q.query(`DROP FUNCTION settlement.calendar_years_append_only`);
  }
}

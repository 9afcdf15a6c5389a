import { MigrationInterface, QueryRunner } from 'typeorm';
import { calendarDigest, SHIPPED_CALENDAR_YEARS } from '@vc/domain';

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
    for (const y of SHIPPED_CALENDAR_YEARS) {
      await q.query(
        `INSERT INTO settlement.calendar_years (year, version, notice_title, notice_number, notice_published_on, test_fixture, holidays, workdays,
           digest, loaded_by_sub, loaded_by_role, loaded_by_org, loaded_at)
         VALUES ($1, 1, $2, $3, $4, false, $5::date[], $6::date[], $7, 'release', 'service', 'settlement', now())`,
        [y.year, y.notice.title, y.notice.number, y.notice.publishedOn, y.holidays, y.workdays, calendarDigest(y)],
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

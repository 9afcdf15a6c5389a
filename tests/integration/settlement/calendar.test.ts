import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppConfig } from '@vc/config';
import { Principal, Subjects } from '@vc/contracts';
import { Clock, UnitOfWork } from '@vc/platform';
import { freePort, rowCounts, sql, testSecretsDir, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { LoadCalendarYearUseCase } from '../../../apps/settlement/src/use-cases/calendar/load-calendar-year.use-case';
import { readFileSync } from 'node:fs';
import { parseCalendarYear } from '@vc/domain';
import { fixture2027, FIXTURE_2027_PATH, FIXTURE_2028_PATH } from '../../fixtures/calendar';
import { auditor, deltaOperator, operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, Province, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;
const ROOT = resolve(__dirname, '../../..');

jest.setTimeout(120_000);

/**
 * SPEC 3: the working-day calendar is operations data. A delta operator loads a year's State
 * Council schedule (CLI, HTTP, NATS); it is validated, audited and versioned (a correction
 * supersedes, never edits); every settlement instance counts with it at once; a year not loaded is
 * refused with CALENDAR_YEAR_MISSING (R-PUB-1 fails closed); from 1 November the readiness
 * details, /metrics and the calendar's status warn that next year is missing.
 */
describe('settlement: the working-day calendar as operations data (SPEC 3, R-PUB-1)', () => {
  let sys: TestSystem;
  let first: INestApplication;
  let second: INestApplication;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let httpPort: number;
  const apps = () => [first, second];
  const now = (instant: string) => apps().forEach((a) => setNow(a, instant));

  beforeAll(async () => {
    sys = await TestSystem.start();
    httpPort = await freePort();
    first = await sys.startService(settlementService, { ...SIMULATED, HTTP_PORT: httpPort });
    second = await sys.startService(settlementService, SIMULATED);
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  async function reviewedRun(programmeId: string, quarter: string, submittedAt: string, startAt: string): Promise<{ runId: string; op: Principal }> {
    const province = programmeId.slice(0, 2) as Province;
    await feedProgramme(sys, programmeId);
    const region = await feedRegion(sys, province);
    await feedClaims(sys, [claim(programmeId, enterpriseIn(region), provider(province), 400_000, submittedAt)]);
    const op = operatorOf(province);
    now(startAt);
    const run = await sys.client.ok(S.runStart, { programmeId, quarter, sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    return { runId: run.id, op };
  }

  const load = (body: unknown, principal: Principal = deltaOperator) => sys.client.call(S.calendarLoad, body, { principal, idempotencyKey: key('cal') });

  it('ships 2025 and 2026 only, each citing its State Council notice, loaded by the release', async () => {
    const { items } = await sys.client.ok(S.calendarList, {}, { principal: auditor });
    expect(items.map((y: { year: number; notice: { number: string }; loadedBy: { sub: string }; version: number; testFixture: boolean }) => [y.year, y.version, y.notice.number, y.loadedBy.sub, y.testFixture])).toEqual([
      [2025, 1, '国办发明电〔2024〕12号', 'release', false],
      [2026, 1, '国办发明电〔2025〕7号', 'release', false],
    ]);
    const y2026 = await sys.client.ok(S.calendarGet, { year: 2026 }, { principal: operatorOf('JS') });
    expect(y2026.workdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(y2026.holidays).toHaveLength(33);
    expect(await sys.client.call(S.calendarGet, { year: 2027 }, { principal: operatorOf('JS') })).toMatchObject({ ok: false, error: { code: 'CALENDAR_YEAR_MISSING', field: 'year' } });
  });

  it('from 1 November the calendar status, the readiness details and /metrics warn that next year is missing', async () => {
    now('2026-10-31T23:59:00+08:00');
    const october = await sys.client.ok(S.calendarList, {}, { principal: deltaOperator });
    expect(october.status).toMatchObject({ today: '2026-10-31', currentYearLoaded: true, nextYear: 2027, nextYearLoaded: false, nextYearDueFrom: '2026-11-01', warnings: [] });
    const quiet = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
    expect(quiet).toMatch(/^vc_calendar_next_year_missing 0$/m);

    now('2026-11-01T00:00:00+08:00');
    const november = await sys.client.ok(S.calendarList, {}, { principal: deltaOperator });
    expect(november.status.warnings).toEqual([expect.stringContaining('the working-day calendar of 2027 is not loaded')]);
    const ready = await fetch(`http://127.0.0.1:${httpPort}/health/ready`);
    expect(ready.status).toBe(200); // a warning, not an unready instance
    const body = (await ready.json()) as { details: Record<string, unknown> };
    expect(body.details.calendar).toMatchObject({ status: 'up', nextYear: 2027, nextYearLoaded: false, warning: expect.stringContaining('2027') });
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^vc_calendar_next_year_missing 1$/m);
    expect(metrics).toMatch(/^vc_calendar_year_loaded\{year="2026"\} 1$/m);
    expect(metrics).toMatch(/^vc_calendar_year_loaded\{year="2027"\} 0$/m);
  });

  it('R-ERR-1: a bad schedule is refused naming the entry, an operator other than the delta desk is refused, and nothing is written', async () => {
    const before = await rowCounts(sys.db.url, 'settlement');
    const file = fixture2027();
    const faults: Array<[unknown, string, string?]> = [
      [{ ...file, holidays: ['2026-12-31', ...(file.holidays as string[])] }, 'holidays[0]', 'outside 2027'],
      [{ ...file, workdays: ['2027-02-07'] }, 'workdays[0]', 'both a holiday'],
      [{ ...file, workdays: ['2027-03-10'] }, 'workdays[0]', 'Wednesday'],
      [{ ...file, holidays: ['2027-01-01', '2027-01-01'] }, 'holidays[1]', 'listed twice'],
      [{ ...file, notice: { title: 'x', number: 'y' } }, 'notice.publishedOn'],
      [{ ...file, year: 1999 }, 'year'],
      [{ ...file, holidays: [] }, 'holidays'],
      [{ ...file, extra: 1 }, 'extra'],
    ];
    for (const [body, field, message] of faults) {
      const reply = await load(body);
      expect([field, reply]).toMatchObject([field, { ok: false, error: { code: 'VALIDATION_FAILED', field, ...(message ? { message: expect.stringContaining(message) } : {}) } }]);
    }
    expect(await load(file, operatorOf('JS'))).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await load(file, auditor)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await sys.client.call(S.calendarLoad, file, { principal: deltaOperator })).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_KEY_REQUIRED' } });
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
  });

  it('the test fixture years are valid schedules and say they are fixtures', () => {
    for (const path of [FIXTURE_2027_PATH, FIXTURE_2028_PATH]) {
      const y = parseCalendarYear(JSON.parse(readFileSync(path, 'utf8')));
      expect([y.testFixture, y.notice.title]).toEqual([true, expect.stringContaining('TEST FIXTURE')]);
    }
  });

  it('a test fixture year is refused in production', async () => {
    const production = new LoadCalendarYearUseCase(first.get(UnitOfWork), first.get(Clock), { ...first.get(AppConfig), NODE_ENV: 'production' } as AppConfig);
    await expect(production.execute(deltaOperator, fixture2027() as never, key())).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'testFixture' });
  });

  it('R-PUB-1: a Q4 run published in January is refused until 2027 is loaded; the operator loads it once and every instance counts with it', async () => {
    const { runId, op } = await reviewedRun('JS-2026', '2026Q4', '2026-12-10T10:00:00+08:00', '2027-01-05T10:00:00+08:00');
    const before = await rowCounts(sys.db.url, 'settlement');
    expect(await sys.client.call(S.runPublish, { runId }, { principal: op, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'CALENDAR_YEAR_MISSING', details: { year: 2027 }, message: expect.stringContaining('delta operator loads') },
    });
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);

    // The one documented command (docs/operations.md): settle calendar load, its own process.
    const cli = await settle(['calendar', 'load', '--delta', '--file', FIXTURE_2027_PATH], '2027-01-05T10:00:00+08:00');
    expect([cli.code, cli.stderr]).toEqual([0, '']);
    expect(cli.stdout).toContain('loaded: 2027 version 1 [TEST FIXTURE]');

    // Both instances count with it at once (the reply comes from either; ask several times).
    for (let i = 0; i < 4; i++) {
      const status = await sys.client.ok(S.calendarList, {}, { principal: op });
      expect(status.status).toMatchObject({ currentYear: 2027, currentYearLoaded: true });
    }
    const published = await sys.client.ok(S.runPublish, { runId }, { principal: op, idempotencyKey: key() });
    // Tue 2027-01-05 → Wed 6, Thu 7, Fri 8, Mon 11, Tue 12 (the fixture's New Year holiday is 1–3 January)
    expect(published.publication).toEqual({
      publishedOn: '2027-01-05',
      firstDay: '2027-01-06',
      lastDay: '2027-01-12',
      closesAt: '2027-01-12T16:00:00.000Z',
      workingDays: 5,
      calendar: [{ year: 2027, version: 1 }],
    });
    const audit = await sql(sys.db.url, `SELECT principal_role, principal_sub, action, data FROM settlement.audit_log WHERE entity_type = 'calendar_year' AND entity_id = '2027'`);
    expect(audit).toEqual([{ principal_role: 'delta_operator', principal_sub: expect.stringMatching(/^cli:/), action: 'calendar.loaded', data: expect.objectContaining({ version: 1, testFixture: true }) }]);
  });

  it('a correction supersedes, never edits: same file again changes nothing, a new one needs the current version and a reason', async () => {
    const file = fixture2027();
    expect(await load(file)).toMatchObject({ ok: true, data: { loaded: false, year: { year: 2027, version: 1 } } });
    const corrected = { ...file, workdays: [...(file.workdays as string[]), '2027-12-18'] };
    expect(await load(corrected)).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', field: 'supersedes', details: { currentVersion: 1 } } });
    expect(await load({ ...corrected, supersedes: 2, reason: '补充调休' })).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'supersedes' } });
    expect(await load({ ...corrected, supersedes: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'reason' } });

    // over HTTP, as an operator's tool would; the path's year is the file's
    const desk = `Bearer ${tokenFor(deltaOperator)}`;
    await http.put('/v1/calendar/years/2028').set('Authorization', desk).set('Idempotency-Key', key()).send({ ...corrected, supersedes: 1, reason: '补充调休' }).expect(400);
    const put = await http.put('/v1/calendar/years/2027').set('Authorization', desk).set('Idempotency-Key', key()).send({ ...corrected, supersedes: 1, reason: '补充调休' }).expect(200);
    expect(put.body).toMatchObject({ loaded: true, year: { year: 2027, version: 2, supersedes: 1, reason: '补充调休', workdayCount: 6 } });
    // the run published on version 1 keeps its window and is named
    expect(put.body.runsCountedOnSupersededVersion).toEqual([expect.objectContaining({ programmeId: 'JS-2026', quarter: '2026Q4', state: 'publicity' })]);

    const history = await http.get('/v1/calendar/years?history=true').set('Authorization', `Bearer ${tokenFor(operatorOf('ZJ'))}`).expect(200);
    expect(history.body.items.filter((y: { year: number }) => y.year === 2027).map((y: { version: number; current: boolean }) => [y.version, y.current])).toEqual([
      [1, false],
      [2, true],
    ]);
    const v1 = await http.get('/v1/calendar/years/2027?version=1').set('Authorization', desk).expect(200);
    expect(v1.body.workdays).not.toContain('2027-12-18');
    expect((await http.get('/v1/calendar/years/2027').set('Authorization', desk).expect(200)).body.workdays).toContain('2027-12-18');
    await http.get('/v1/calendar/years').expect(401);

    // append-only: not even the service's own role can edit or remove a version
    await expect(sql(sys.db.url, `UPDATE settlement.calendar_years SET reason = 'x' WHERE year = 2027`)).rejects.toThrow(/append-only/);
    await expect(sql(sys.db.url, `DELETE FROM settlement.calendar_years WHERE year = 2027`)).rejects.toThrow(/append-only/);
  });

  function settle(args: string[], at: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/settlement/src/cli.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'test', SECRETS_DIR: testSecretsDir(), DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, CLOCK_MODE: 'simulated', SIMULATED_NOW: at, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
  }
});

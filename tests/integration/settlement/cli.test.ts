import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Events } from '@vc/contracts';
import { eventually, publishEvent, sql, testSecretsDir, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, provider, SIMULATED } from './feed';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../../..');

/** The `settle` batch CLI as an operator runs it: its own process, real PostgreSQL and NATS. */
describe('settle CLI (nest-commander): run, status, resume, recount, statement; exit codes', () => {
  let sys: TestSystem;
  let app: INestApplication;
  let out: string;
  const claims: ReturnType<typeof claim>[] = [];

  function settle(args: string[], now: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/settlement/src/cli.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'test', SECRETS_DIR: testSecretsDir(), CONFIRM_PAYMENTS_WITH: 'none', DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, CLOCK_MODE: 'simulated', SIMULATED_NOW: now, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    out = mkdtempSync(join(tmpdir(), 'settle-'));
    await feedProgramme(sys, 'JS-2026');
    const region = await feedRegion(sys, 'JS');
    const providers = [provider('JS', '东南大学测试中心'), provider('ZJ', '浙江大学分析中心'), provider('AH', '中国科大理化中心')];
    for (let i = 0; i < 30; i++) claims.push(claim('JS-2026', enterpriseIn(region, `示范企业${i}号有限公司`), providers[i % 3], 100_000 + i * 777, '2026-08-20T10:00:00+08:00'));
    await feedClaims(sys, claims);
  });
  afterAll(async () => {
    await sys?.stop();
    void app;
  });

  it('exit 2 on bad usage, 3 when a rule refuses', async () => {
    expect((await settle(['run', '--programme', 'JS-2026', '--quarter', '2026Q3'], '2026-10-09T10:00:00+08:00')).code).toBe(2);
    expect((await settle(['run', '--operator', 'JS', '--bogus'], '2026-10-09T10:00:00+08:00')).code).toBe(2);
    const foreign = await settle(['run', '--operator', 'ZJ', '--programme', 'JS-2026', '--quarter', '2026Q3'], '2026-10-09T10:00:00+08:00');
    expect(foreign.code).toBe(3);
    expect(foreign.stderr).toContain('FORBIDDEN');
    expect((await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3'], '2026-09-30T10:00:00+08:00')).code).toBe(3);
  });

  it('settle run: collects, applies a decisions CSV and --approve-all, publishes, writes the publicity list and the PDF notice', async () => {
    // sampled claims need a decision of their own: first run collects and stops at review
    const first = await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3', '--sample-rate-bp', '1000', '--no-publish', '--out', out, '--json'], '2026-10-09T10:00:00+08:00');
    expect(first.code).toBe(0);
    const started = JSON.parse(first.stdout).run;
    expect(started).toMatchObject({ state: 'review', collectedCount: 30 });
    expect(first.stderr).toContain('"event":"progress"'); // no TTY: JSON progress lines
    const sampled = await sql(sys.db.url, `SELECT claim_id::text AS id FROM settlement.claims WHERE run_id = $1 AND sampled`, [started.id]);
    expect(sampled).toHaveLength(3);
    // two decisions first (as when a later batch of a file was refused): the whole file afterwards sends only the rest,
    // even for the claim it returned and its enterprise has amended since (pending again, for the next run)
    const partial = join(out, 'partial.csv');
    writeFileSync(partial, ['claimId,decision,reason', `${sampled[1].id},approve,`, `${sampled[2].id},return,请补充发票`].join('\n'));
    expect((await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3', '--decisions', partial, '--no-publish', '--out', out], '2026-10-09T10:00:00+08:00')).code).toBe(0);
    const returned = claims.find((c) => c.claimId === sampled[2].id)!;
    await publishEvent(sys, Events.claimAmended, returned.claimId, { ...returned, invoiceNumber: `${returned.invoiceNumber}-A`, revision: 2 });
    await eventually(async () => (await sql(sys.db.url, `SELECT state FROM settlement.claims WHERE claim_id = $1`, [returned.claimId]))[0].state === 'pending');
    const decisions = join(out, 'decisions.csv');
    writeFileSync(decisions, ['claimId,decision,reason', `${sampled[0].id},reject,现场核查：服务未完成`, `${sampled[1].id},approve,`, `${sampled[2].id},return,请补充发票`].join('\n'));
    const second = await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3', '--decisions', decisions, '--approve-all', '--out', out], '2026-10-09T10:00:00+08:00');
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('2 decisions are in effect already');
    expect(second.stdout).toContain('publicity 2026-10-10..2026-10-15');
    const dir = join(out, 'JS-2026-2026Q3');
    for (const f of ['publicity-list.csv', 'publicity-list.xlsx', 'publicity-notice.pdf']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, 'publicity-notice.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    expect(readFileSync(join(dir, 'publicity-list.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 28);
    // the same command again: the run is past review, and the CLI says so instead of passing over it
    const again = await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3', '--decisions', decisions, '--approve-all', '--out', out], '2026-10-09T10:00:00+08:00');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('past review');
    // options that only a run's start takes are refused for a run that exists, not ignored
    const reseeded = await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3', '--seed', 'feedfacecafe0001'], '2026-10-09T10:00:00+08:00');
    expect(reseeded.code).toBe(2);
    expect(reseeded.stderr).toContain('a seed applies only when a run starts');
    // the use case checks its input whoever calls it: a seed that is not one starts nothing
    const unseeded = await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q2', '--seed', 'not-a-seed'], '2026-10-09T10:00:00+08:00');
    expect(unseeded.code).toBe(2);
    expect(JSON.parse(unseeded.stderr.trim().split('\n').pop()!.replace(/^settle: /, ''))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'seed' });
    expect(await sql(sys.db.url, `SELECT 1 FROM settlement.runs WHERE programme_id = 'JS-2026' AND quarter = '2026Q2'`)).toEqual([]);
  });

  it('settle run after the window disburses; status, resume and statement agree with the instructions', async () => {
    const third = await settle(['run', '--operator', 'JS', '--programme', 'JS-2026', '--quarter', '2026Q3', '--out', out, '--json'], '2026-10-16T09:00:00+08:00');
    expect(third.code).toBe(0);
    const run = JSON.parse(third.stdout).run;
    expect(run.state).toBe('completed');
    const dir = join(out, 'JS-2026-2026Q3');
    const instructions = readFileSync(join(dir, 'payment-instructions.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
    expect(instructions).toHaveLength(1 + 3);
    const sum = instructions.slice(1).reduce((s, l) => s + Number(l.split(',')[7]), 0);
    expect(sum).toBe(run.instructionFen);
    const resumed = await settle(['resume', '--operator', 'JS', '--run', run.id, '--out', out, '--json'], '2026-10-16T10:00:00+08:00');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).run).toMatchObject({ state: 'completed', instructionFen: run.instructionFen, instructionCount: 3 });
    const status = await settle(['status', '--operator', 'JS'], '2026-10-16T10:00:00+08:00');
    expect(status.stdout).toContain(`run ${run.id} JS-2026 2026Q3: completed`);
    const statement = await settle(['statement', '--delta', '--quarter', '2026Q3', '--out', out, '--json'], '2026-10-16T10:00:00+08:00');
    expect(statement.code).toBe(0);
    expect(JSON.parse(statement.stdout).statement).toMatchObject({ totalFen: run.instructionFen, instructionFen: run.instructionFen });
    expect(existsSync(join(out, 'statement-2026Q3', 'statement-2026Q3.xlsx'))).toBe(true);
  });

  it('R-LEDGER-1: settle recount sets the counters of a run that drifted to a fresh count of its claims, and leaves a right run as it is', async () => {
    const [run] = await sql(sys.db.url, `SELECT id::text AS id, paid_count, paid_fen::text AS paid_fen FROM settlement.runs WHERE programme_id = 'JS-2026'`);
    await sql(sys.db.url, `UPDATE settlement.runs SET paid_count = paid_count + 2, paid_fen = paid_fen - 5 WHERE id = $1`, [run.id]);
    const malformed = await settle(['recount', '--operator', 'JS', '--run', 'not-a-uuid'], '2026-10-20T10:00:00+08:00');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('runId');
    const foreign = await settle(['recount', '--operator', 'ZJ', '--run', run.id], '2026-10-20T10:00:00+08:00');
    expect(foreign.code).toBe(3);
    expect(foreign.stderr).toContain('NOT_FOUND');
    const mended = await settle(['recount', '--operator', 'JS', '--run', run.id, '--json'], '2026-10-20T10:00:00+08:00');
    expect(mended.code).toBe(0);
    expect(JSON.parse(mended.stdout).changed).toEqual({
      paid_count: { was: String(run.paid_count + 2), now: String(run.paid_count) },
      paid_fen: { was: String(BigInt(run.paid_fen) - 5n), now: run.paid_fen },
    });
    const [after] = await sql(sys.db.url, `SELECT paid_count, paid_fen::text AS paid_fen FROM settlement.runs WHERE id = $1`, [run.id]);
    expect(after).toEqual({ paid_count: run.paid_count, paid_fen: run.paid_fen });
    const [audit] = await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.audit_log WHERE action = 'run.recounted' AND entity_id = $1`, [run.id]);
    expect(audit.n).toBe(1);
    const again = await settle(['recount', '--operator', 'JS', '--run', run.id], '2026-10-20T10:00:00+08:00');
    expect(again.stdout).toContain('the counters were right; nothing changed');
  });

  it('R-REWARD-1, R-ERR-1: settle rewards --grades checks every line first, and a later grade replaces an earlier one', async () => {
    const now = '2027-01-05T10:00:00+08:00';
    const [unit] = await sql(sys.db.url, `SELECT DISTINCT provider_id::text AS id FROM settlement.claims WHERE provider_province = 'JS' LIMIT 1`);
    const grades = (name: string, ...lines: string[]) => {
      const file = join(out, name);
      writeFileSync(file, ['providerId,grade', ...lines].join('\n'));
      return file;
    };
    const grade = async () => (await sql(sys.db.url, `SELECT grade FROM settlement.reward_grades WHERE provider_id = $1`, [unit.id]))[0]?.grade;
    const rewards = (file: string) => settle(['rewards', '--operator', 'JS', '--programme', 'JS-2026', '--year', '2026', '--grades', file, '--out', out], now);
    const bad = await rewards(grades('bad.csv', `${unit.id},excellent`, `${unit.id},excelent`));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.csv:3');
    expect(await grade()).toBeUndefined();
    for (const [file, wanted] of [['g1.csv', 'good'], ['g2.csv', 'excellent'], ['g3.csv', 'good']]) {
      expect((await rewards(grades(file, `${unit.id},${wanted}`))).code).toBe(0);
      expect(await grade()).toBe(wanted);
    }
  });
});

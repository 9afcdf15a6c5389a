import { INestApplication } from '@nestjs/common';
import { Events, Principal, SETTLEMENT_CLAIMS_PER_EVENT, Subjects } from '@vc/contracts';
import { spawnService, sql, TestSystem } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { DisbursementStep, DisburseUseCase } from '../../../apps/settlement/src/use-cases/disburse.use-case';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, claimEventCount, outboxCount, provider, Province, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;
const AFTER_WINDOW = '2026-10-16T09:00:00+08:00';

/**
 * R-PAY-1: a run is idempotent and resumable: a crash between any two steps of the disbursement
 * (simulated by throwing from the hook after a committed step, then closing the app and booting a
 * new instance on the same database; and once by SIGKILL of a real process) and a resume give the
 * same instructions, and no claim is paid twice.
 */
jest.setTimeout(60_000);

describe('settlement: crash and resume of a disbursement (R-PAY-1)', () => {
  let sys: TestSystem;
  let app: INestApplication;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
  });
  afterAll(async () => sys?.stop());

  /** A published run of `programmeId` with claims to several payees, its window closed. */
  async function publishedRun(programmeId: string, claims = 24): Promise<{ runId: string; op: Principal; expected: Map<string, { n: number; fen: number }> }> {
    const province = programmeId.slice(0, 2) as Province;
    const op = operatorOf(province);
    await feedProgramme(sys, programmeId);
    const region = await feedRegion(sys, province);
    const providers = [provider('JS'), provider('ZJ'), provider('SH'), provider('AH'), provider('OTHER')];
    const enterprises = [enterpriseIn(region), enterpriseIn(region), enterpriseIn(region)];
    const list = Array.from({ length: claims }, (_, i) =>
      claim(programmeId, enterprises[i % 3], providers[i % 5], 100_000 + i * 3_337, `2026-0${7 + (i % 3)}-1${i % 10}T10:00:00+08:00`),
    );
    await feedClaims(sys, list);
    setNow(app, '2026-10-09T10:00:00+08:00');
    const run = await sys.client.ok(S.runStart, { programmeId, quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
    setNow(app, AFTER_WINDOW);
    const expected = new Map<string, { n: number; fen: number }>();
    for (const c of list) {
      const e = expected.get(c.payeeId) ?? { n: 0, fen: 0 };
      expected.set(c.payeeId, { n: e.n + 1, fen: e.fen + Number(c.voucherFen) });
    }
    return { runId: run.id, op, expected };
  }

  async function expectSettledOnce(runId: string, expected: Map<string, { n: number; fen: number }>) {
    const instructions = await sql(sys.db.url, `SELECT payee_id::text AS payee, claim_count AS n, total_fen::text AS fen FROM settlement.instructions WHERE run_id = $1`, [runId]);
    expect(instructions).toHaveLength(expected.size);
    for (const i of instructions) expect({ n: i.n, fen: Number(i.fen) }).toEqual(expected.get(i.payee));
    const claims = await sql(sys.db.url, `SELECT claim_id::text AS id FROM settlement.claims_current WHERE run_id = $1 AND state = 'paid'`, [runId]);
    const total = [...expected.values()].reduce((s, e) => s + e.n, 0);
    expect(claims).toHaveLength(total);
    // exactly one claim-paid event per claim: never paid twice
    expect(await claimEventCount(sys, Events.settlementClaimPaid, claims.map((c) => c.id))).toBe(total);
    const [events] = await sql(
      sys.db.url,
      `SELECT count(DISTINCT c.id)::int AS claims, count(*)::int AS mentions, count(DISTINCT o.id)::int AS events
         FROM settlement.outbox o, jsonb_array_elements_text(o.envelope->'payload'->'claimIds') c(id)
        WHERE o.subject = $1 AND o.envelope->'payload'->>'runId' = $2`,
      [Events.settlementClaimPaid, runId],
    );
    expect(events).toEqual({ claims: total, mentions: total, events: Math.ceil(total / SETTLEMENT_CLAIMS_PER_EVENT) });
    const [run] = await sql(sys.db.url, `SELECT state, instruction_fen::text AS fen FROM settlement.runs WHERE id = $1`, [runId]);
    const [statement] = await sql(sys.db.url, `SELECT sum(total_fen)::text AS fen FROM settlement.statement_lines WHERE run_id = $1`, [runId]);
    expect(run.state).toBe('completed');
    expect(statement.fen).toBe(run.fen);
    expect(Number(run.fen)).toBe([...expected.values()].reduce((s, e) => s + e.fen, 0));
  }

  const crashes: Array<[string, DisbursementStep, string]> = [
    ['SH-2026', 'instructions', 'disbursing'],
    ['AH-2026', 'paid', 'paid'],
    ['ZJ-2026', 'statement', 'completed'],
  ];

  it.each(crashes)('R-PAY-1: %s crashes after the %s step, a new instance resumes: same instructions, nothing paid twice', async (programmeId, step, stateAtCrash) => {
    const { runId, op, expected } = await publishedRun(programmeId);
    app.get(DisburseUseCase).afterStep = (s) => {
      if (s === step) throw new Error(`simulated crash after ${s}`);
    };
    const crashed = await sys.client.call(S.runDisburse, { runId }, { principal: op });
    expect(crashed).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    const [atCrash] = await sql(sys.db.url, `SELECT state FROM settlement.runs WHERE id = $1`, [runId]);
    expect(atCrash.state).toBe(stateAtCrash);
    const instructionsAtCrash = await sql(sys.db.url, `SELECT id, payee_id, total_fen::text FROM settlement.instructions WHERE run_id = $1 ORDER BY payee_id`, [runId]);
    // R-LEDGER-1: the identities hold at any moment, a run stopped between its steps included
    const settlementIdentities = (await runLedgerChecks(sys.db.url)).filter((r) => r.name.startsWith('paid = Σ instructions') || r.name.startsWith('statement = instructions'));
    expect(settlementIdentities.map((r) => [r.name.split(':')[0], r.status])).toEqual([
      ['paid = Σ instructions', 'ok'],
      ['statement = instructions', 'ok'],
    ]);

    // the process "dies": a new instance boots on the same database and resumes
    await sys.stopApp(app);
    app = await sys.startService(settlementService, SIMULATED);
    setNow(app, AFTER_WINDOW);
    const resumed = await sys.client.ok(S.runDisburse, { runId }, { principal: op });
    expect(resumed.state).toBe('completed');
    const again = await sys.client.ok(S.runDisburse, { runId }, { principal: op });
    expect(again).toMatchObject({ state: 'completed', instructionFen: resumed.instructionFen, instructionCount: expected.size });
    const instructionsAfter = await sql(sys.db.url, `SELECT id, payee_id, total_fen::text FROM settlement.instructions WHERE run_id = $1 ORDER BY payee_id`, [runId]);
    expect(instructionsAfter).toEqual(instructionsAtCrash);
    await expectSettledOnce(runId, expected);
  });

  it('R-PAY-1, R-CLEAR-1: a run left in paid by an earlier version (statement lines still to write) completes with the statement its paid claims make', async () => {
    const { runId, op, expected } = await publishedRun('ZJ-2025');
    await sys.client.ok(S.runDisburse, { runId }, { principal: op });
    const lines = async () =>
      sql(sys.db.url, `SELECT provider_id, provider_province, claim_count, total_fen::text, amount_fen::text FROM settlement.statement_lines WHERE run_id = $1 ORDER BY provider_id`, [runId]);
    const written = await lines();
    expect(written).toHaveLength(5);
    // what a crash between the former paid and statement steps left: paid claims, no statement
    // (statement lines are append-only now; the lines are removed past the guard, in one
    // transaction whose triggers are off, to make the state that version's database had)
    await sql(sys.db.url, `DO $$ BEGIN SET LOCAL session_replication_role = replica; DELETE FROM settlement.statement_lines WHERE run_id = '${runId}'::uuid; END $$`);
    await sql(sys.db.url, `UPDATE settlement.runs SET state = 'paid' WHERE id = $1`, [runId]);
    const resumed = await sys.client.ok(S.runDisburse, { runId }, { principal: op });
    expect(resumed.state).toBe('completed');
    expect(await lines()).toEqual(written);
    await expectSettledOnce(runId, expected);
  });

  it('R-PAY-1: parallel disbursements of one run (CLI and HTTP at once) write one set of instructions', async () => {
    const { runId, op, expected } = await publishedRun('JS-2026', 40);
    const replies = await Promise.all(Array.from({ length: 6 }, () => sys.client.call(S.runDisburse, { runId }, { principal: op })));
    for (const r of replies) {
      if (!r.ok) expect(r.error.code).toBe('RUN_LOCKED');
    }
    expect(replies.some((r) => r.ok)).toBe(true);
    await sys.client.ok(S.runDisburse, { runId }, { principal: op });
    await expectSettledOnce(runId, expected);
  });

  it('R-PAY-1: SIGKILL of a real settlement process right after the instructions commit; the next process resumes', async () => {
    const { runId, op, expected } = await publishedRun('SH-2025', 30);
    await sys.stopApp(app);
    const env = { DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, CLOCK_MODE: 'simulated', SIMULATED_NOW: AFTER_WINDOW, OUTBOX_POLL_MS: '20', CONFIRM_PAYMENTS_WITH: SIMULATED.CONFIRM_PAYMENTS_WITH };
    const dying = await spawnService('settlement', { ...env, SETTLEMENT_CRASH_AFTER_STEP: 'instructions' });
    const reply = await sys.client.call(S.runDisburse, { runId }, { principal: op, timeoutMs: 20000 }).catch((e: Error) => e);
    expect(reply).toBeInstanceOf(Error);
    expect((await dying.exited).signal).toBe('SIGKILL');
    const [atCrash] = await sql(sys.db.url, `SELECT state FROM settlement.runs WHERE id = $1`, [runId]);
    expect(atCrash.state).toBe('disbursing');

    const next = await spawnService('settlement', env);
    try {
      expect((await sys.client.ok(S.runDisburse, { runId }, { principal: op, timeoutMs: 20000 })).state).toBe('completed');
      await expectSettledOnce(runId, expected);
    } finally {
      next.kill('SIGTERM');
      await next.exited;
    }
    app = await sys.startService(settlementService, SIMULATED);
  }, 120000);
});

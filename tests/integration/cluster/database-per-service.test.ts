import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Subjects } from '@vc/contracts';
import { Clock } from '@vc/platform';
import { createTestDatabase, eventually, sql, TestDatabase, TestPostgres, TestSystem } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { registryService } from '../../../apps/registry/src/registry.module';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { formatReport, runLedgerChecks, SERVICE_SCHEMAS, ServiceSchema } from '../../../scripts/ledger/ledger-check';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../../fixtures/issuance';
import { operatorOf, providerAccount } from '../../fixtures/principals';
import { quotaArrived, serveAndClaim } from '../../fixtures/services';
import { newInvoiceNumber } from '../../fixtures/invoices';

jest.setTimeout(240_000);
const ROOT = resolve(__dirname, '../../..');
const T = Subjects.settlement;

/**
 * Each service on its own PostgreSQL server, with its own DATABASE_URL: the step a province takes
 * before it needs anything heavier. Each service owns its schema and talks to the others only over
 * NATS, so nothing else changes. A quarter is played through (registry, issuance, redemption,
 * settlement, a run paid), then `ledger:check` reads each server and checks every R-LEDGER-1
 * identity, the cross-service ones included.
 */
describe('PostgreSQL beyond one server: each service on its own server, ledger:check reading each', () => {
  const servers: TestPostgres[] = [];
  let sys: TestSystem;
  const dbs = {} as Record<ServiceSchema, string>;
  const own: TestDatabase[] = [];
  const apps: INestApplication[] = [];
  const clock = { CLOCK_MODE: 'simulated' as const, SIMULATED_NOW: '2026-07-06T09:00:00+08:00' };
  const setNow = (instant: string) => apps.forEach((app) => app.get(Clock).set(new Date(instant)));

  beforeAll(async () => {
    for (let i = 0; i < SERVICE_SCHEMAS.length; i++) servers.push(await TestPostgres.start());
    sys = await TestSystem.start({ pgAdminUrl: servers[0].url() });
    dbs.registry = sys.db.url;
    for (const [i, schema] of (['issuance', 'redemption', 'settlement'] as const).entries()) {
      const db = await createTestDatabase(servers[i + 1].url());
      own.push(db);
      dbs[schema] = db.url;
    }
    apps.push(await sys.startService(registryService, { ...clock, DATABASE_URL: dbs.registry }));
    apps.push(await sys.startService(issuanceService, { ...clock, DATABASE_URL: dbs.issuance }));
    const redemption = await bootstrapRedemption(sys.config({ ...clock, GRPC_PORT: 0, DATABASE_URL: dbs.redemption }));
    sys.apps.push(redemption);
    apps.push(redemption);
    apps.push(await sys.startService(settlementService, { ...clock, DATABASE_URL: dbs.settlement }));
  });
  afterAll(async () => {
    await sys?.stop().catch(() => undefined);
    for (const db of own) await db.drop().catch(() => undefined);
    for (const server of servers) await server.dispose();
  });

  /** `npm run ledger:check --strict` as an operator runs it, each service's database named by its variable. */
  function ledgerCheckCli(): { status: number | null; output: string } {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', 'scripts/ledger/ledger-check.ts', '--strict'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        DATABASE_URL: dbs.registry,
        ISSUANCE_DATABASE_URL: dbs.issuance,
        REDEMPTION_DATABASE_URL: dbs.redemption,
        SETTLEMENT_DATABASE_URL: dbs.settlement,
      },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  it('R-LEDGER-1 / R-PAY-1: a quarter settled with four servers; every identity checked across them (none skipped), and a difference between servers is found', async () => {
    const admit = async (province: 'SH' | 'ZJ', unitName: string) => {
      const code = newCreditCode();
      const p = await sys.client.ok(Subjects.registry.providerApply, { creditCode: code, legalName: '分库测试大学', unitName, kind: 'testing_centre', province }, { principal: providerAccount(code), idempotencyKey: key() });
      return { ...p, principal: providerAccount(code) };
    };
    const providers = [await admit('SH', '分析测试中心'), await admit('ZJ', '重点实验室')];
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    const region = await createRegion(sys.client, 'JS', '苏州分库园区');
    const enterprises = [await approvedEnterprise(sys.client, region.id, 'JS', 2026, '苏州分库一号科技有限公司'), await approvedEnterprise(sys.client, region.id, 'JS', 2026, '苏州分库二号科技有限公司')];
    for (const e of enterprises) await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: e.id, amountFen: 10_000_000 }, { principal: e.principal, idempotencyKey: key() });
    for (const e of enterprises) await quotaArrived(sys.client, 'JS-2026', e, 10_000_000);
    let n = 0;
    for (const provider of providers) {
      for (const ent of enterprises) {
        n++;
        await serveAndClaim(sys.client, provider, ent, 1_000_000 + n * 1000, { contractRef: `HT-DB-${n}`, invoiceNumber: newInvoiceNumber(), bankTransferRef: `BK-DB-${n}` });
      }
    }

    // the quarter's run, through to payment
    setNow('2026-10-09T10:00:00+08:00');
    const op = operatorOf('JS');
    await eventually(async () => (await sql(dbs.settlement, `SELECT count(*)::int AS n FROM settlement.claims`))[0].n === 4, 20000);
    const started = await sys.client.ok(T.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runReview, { runId: started.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runPublish, { runId: started.id }, { principal: op, idempotencyKey: key() });
    setNow('2026-10-16T09:00:00+08:00');
    const disbursed = await sys.client.ok(T.runDisburse, { runId: started.id }, { principal: op, idempotencyKey: key() });
    expect(disbursed.state).toBe('completed');
    await eventually(async () => (await sql(dbs.redemption, `SELECT count(*)::int AS n FROM redemption.claims WHERE status = 'paid'`))[0].n === 4, 30000);

    // each server holds its own service's schema and no other
    for (const schema of SERVICE_SCHEMAS) {
      const schemas = (await sql(dbs[schema], `SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)`, [[...SERVICE_SCHEMAS]])).map((r) => r.nspname);
      expect({ schema, holds: schemas }).toEqual({ schema, holds: [schema] });
    }
    expect(new Set(SERVICE_SCHEMAS.map((s) => new URL(dbs[s]).port)).size).toBe(4);

    // every identity checked, none skipped, none differing: the cross-service ones read two servers
    const report = (await eventually(async () => {
      const r = await runLedgerChecks(dbs);
      return r.every((c) => c.status === 'ok') ? r : null;
    }, 30000).catch(async () => {
      throw new Error(formatReport(await runLedgerChecks(dbs)));
    }))!;
    expect(report.length).toBeGreaterThanOrEqual(14);
    const cli = ledgerCheckCli();
    expect(cli.output).toContain(`issuance: database ${own[0].name} on 127.0.0.1:${servers[1].port} (ISSUANCE_DATABASE_URL)`);
    expect(cli.output).toContain(`settlement: database ${own[2].name} on 127.0.0.1:${servers[3].port} (SETTLEMENT_DATABASE_URL)`);
    expect(cli.output).toContain(`${report.length} identities checked, 0 with differences`);
    expect(cli.status).toBe(0);

    // a grant redemption holds that issuance never accepted: only a check reading both servers sees it
    await sql(dbs.redemption, `UPDATE redemption.quota_balance SET granted_fen = granted_fen + 1 WHERE enterprise_id = $1`, [enterprises[0].id]);
    const tampered = await runLedgerChecks(dbs);
    const differing = tampered.filter((c) => c.status === 'differs').map((c) => c.name);
    expect(differing).toContain('quota claimed = used + left + lapsed: every claim issuance accepted is granted in redemption (per enterprise and programme)');
    const after = ledgerCheckCli();
    expect(after.status).toBe(1);
    expect(after.output).toContain('DIFFERS quota claimed = used + left + lapsed');
  });
});

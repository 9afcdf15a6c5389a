import { Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { registryService } from '../../../apps/registry/src/registry.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { deltaOperator, operatorOf, providerAccount } from '../../fixtures/principals';

const S = Subjects.registry;
let keys = 0;
const key = () => `race-${Date.now()}-${++keys}`;

/**
 * Requests that race for one registry object get the answers the rules give — one wins, the
 * others are told why not — never an internal error (real PostgreSQL + NATS).
 */
describe('registry: requests racing for one object', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
  });
  afterAll(async () => sys?.stop());

  it('R-REG-4: simultaneous repairs of one credit record: one repairs it, the others are told it is repaired (ILLEGAL_STATE), once audited', async () => {
    const js = operatorOf('JS');
    for (let round = 0; round < 3; round++) {
      const code = newCreditCode();
      await sys.client.ok(
        S.providerApply,
        { creditCode: code, legalName: '长三角测试研究院', unitName: '测试中心', kind: 'testing_centre', province: 'JS' },
        { principal: providerAccount(code), idempotencyKey: key() },
      );
      // serious, in effect three years and more: repairable now, and repairing it lifts a suspension
      const record = await sys.client.ok(
        S.creditFile,
        { creditCode: code, severity: 'serious', reason: '伪造检测报告', effectiveFrom: '2022-01-01' },
        { principal: js, idempotencyKey: key() },
      );
      const replies = await Promise.all(
        [js, js, deltaOperator, js].map((principal) => sys.client.call(S.creditRepair, { recordId: record.id, reason: '已整改并通过复核' }, { principal, idempotencyKey: key() })),
      );
      expect(replies.filter((r) => r.ok)).toHaveLength(1);
      for (const r of replies.filter((r) => !r.ok)) expect(r).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'recordId', message: 'record is already repaired' } });
      const audit = await sql(sys.db.url, `SELECT action FROM registry.audit_log WHERE entity_id = $1 AND action = 'credit.repaired'`, [record.id]);
      expect(audit).toHaveLength(1);
      // the suspension lifted once: one reinstatement event for the unit
      const lifted = await sql(
        sys.db.url,
        `SELECT count(*)::int AS n FROM registry.outbox o JOIN registry.providers p ON p.id::text = o.aggregate_id WHERE p.credit_code = $1 AND o.subject LIKE '%reinstated'`,
        [code],
      );
      expect(lifted[0].n).toBe(1);
    }
  });
});

import { Subjects } from '@vc/contracts';
import { randomUUID } from 'node:crypto';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { registryService } from '../../../apps/registry/src/registry.module';
import { corruptCreditCode, newCreditCode } from '../../fixtures/credit-codes';
import { deltaOperator, providerAccount } from '../../fixtures/principals';

const S = Subjects.registry;

describe('registry: provider admission over NATS (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
  });
  afterAll(async () => sys?.stop());

  const application = (creditCode: string, overrides: Record<string, unknown> = {}) => ({
    creditCode,
    legalName: '东南测试大学',
    unitName: '材料科学与工程学院',
    kind: 'college',
    province: 'JS',
    ...overrides,
  });

  it('R-REG-1: admits a priority kind (college) once its data validates', async () => {
    const code = newCreditCode();
    const p = await sys.client.ok(S.providerApply, application(code), { principal: providerAccount(code), idempotencyKey: 'a1' });
    expect(p).toMatchObject({ status: 'active', creditCode: code, kind: 'college', suspended: false });
  });

  it('R-REG-1: a provider from outside the delta may apply (OTHER with a province name)', async () => {
    const code = newCreditCode('110000');
    const p = await sys.client.ok(
      S.providerApply,
      application(code, { province: 'OTHER', provinceName: '北京市', kind: 'testing_centre', unitName: '分析测试中心' }),
      { principal: providerAccount(code), idempotencyKey: 'a2' },
    );
    expect(p).toMatchObject({ status: 'active', province: 'OTHER', provinceName: '北京市' });
  });

  it('R-REG-1: other kinds wait for review with their qualification documents, then are admitted or rejected', async () => {
    const code = newCreditCode();
    const withoutDocs = await sys.client.call(S.providerApply, application(code, { kind: 'testing_company' }), {
      principal: providerAccount(code),
      idempotencyKey: 'a3',
    });
    expect(withoutDocs).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'qualificationDocuments' } });

    const pending = await sys.client.ok(
      S.providerApply,
      application(code, { kind: 'testing_company', unitName: '检测部', qualificationDocuments: [{ name: 'CMA 资质证书', reference: 'CMA-2026-001' }] }),
      { principal: providerAccount(code), idempotencyKey: 'a4' },
    );
    expect(pending.status).toBe('pending_review');

    const admitted = await sys.client.ok(S.providerReview, { providerId: pending.id, decision: 'approve' }, { principal: deltaOperator, idempotencyKey: 'r1' });
    expect(admitted.status).toBe('active');

    const again = await sys.client.call(S.providerReview, { providerId: pending.id, decision: 'reject', reason: 'late' }, { principal: deltaOperator, idempotencyKey: 'r2' });
    expect(again).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE' } });
  });

  it('R-ID-1: a credit code whose check character does not verify is refused naming the field, and nothing is written', async () => {
    const before = await rowCounts(sys.db.url, 'registry');
    const bad = corruptCreditCode(newCreditCode());
    const reply = await sys.client.call(S.providerApply, application(bad), { principal: providerAccount(bad), idempotencyKey: 'bad-1' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_CREDIT_CODE', field: 'creditCode' } });
    expect(await rowCounts(sys.db.url, 'registry')).toEqual(before);
  });

  it('R-ERR-1: malformed JSON, unknown fields and wrong types get stable codes and write nothing', async () => {
    const before = await rowCounts(sys.db.url, 'registry');
    const code = newCreditCode();
    const p = providerAccount(code);
    expect(await sys.client.call(S.providerApply, null, { principal: p, raw: '{"creditCode":', idempotencyKey: 'm1' })).toMatchObject({
      ok: false,
      error: { code: 'MALFORMED_REQUEST' },
    });
    expect(await sys.client.call(S.providerApply, { ...application(code), isAdmin: true }, { principal: p, idempotencyKey: 'm2' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', field: 'isAdmin' },
    });
    expect(await sys.client.call(S.providerApply, application(code, { kind: 42 }), { principal: p, idempotencyKey: 'm3' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', field: 'kind' },
    });
    expect(await sys.client.call(S.providerApply, application(code), { idempotencyKey: 'm4' })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
    expect(await rowCounts(sys.db.url, 'registry')).toEqual(before);
  });

  it('retries with the same idempotency key return the first result; another body with it is a conflict', async () => {
    const code = newCreditCode();
    const p = providerAccount(code);
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => sys.client.call(S.providerApply, application(code), { principal: p, idempotencyKey: 'same' })),
    );
    expect([...new Set(replies.map((r) => JSON.stringify(r)))]).toHaveLength(1);
    expect(replies[0].ok).toBe(true);
    const conflict = await sys.client.call(S.providerApply, application(code, { unitName: 'other' }), { principal: p, idempotencyKey: 'same' });
    expect(conflict).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
  });

  it('a provider account may apply only for units of its own legal entity', async () => {
    const code = newCreditCode();
    const reply = await sys.client.call(S.providerApply, application(code), { principal: providerAccount(newCreditCode()), idempotencyKey: 'x1' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', field: 'creditCode' } });
  });

  it("R-AUDIT-1: the caller's X-Correlation-Id is recorded with the audit record and the event of its request, and each request without one gets its own", async () => {
    const traced = randomUUID();
    const code = newCreditCode();
    const p = await sys.client.ok(S.providerApply, application(code), { principal: providerAccount(code), idempotencyKey: `c-${code}`, correlationId: traced });
    const audit = await sql(sys.db.url, `SELECT correlation_id FROM registry.audit_log WHERE entity_id = $1`, [p.id]);
    expect(audit.map((a) => a.correlation_id)).toEqual([traced]);
    const events = await sql(sys.db.url, `SELECT envelope->>'correlationId' AS c FROM registry.outbox WHERE aggregate_id = $1`, [p.id]);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.c === traced)).toBe(true);

    const untraced = await Promise.all(
      [newCreditCode(), newCreditCode()].map((c) => sys.client.ok(S.providerApply, application(c), { principal: providerAccount(c), idempotencyKey: `c-${c}` })),
    );
    const ids = await sql(sys.db.url, `SELECT DISTINCT correlation_id FROM registry.audit_log WHERE entity_id = ANY($1::text[])`, [untraced.map((u) => u.id)]);
    expect(ids).toHaveLength(2);
    expect(ids.every((r) => r.correlation_id && r.correlation_id !== traced)).toBe(true);
  });
});

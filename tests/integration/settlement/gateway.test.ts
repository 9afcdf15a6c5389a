import { writeFileSync } from 'node:fs';
import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { UnitOfWork } from '@vc/platform';
import { sql, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { deltaOperator, operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, setNow, SIMULATED } from './feed';

/** The operator's steps, the public publicity page and the downloads through the HTTP gateway. */
const FORMULA_NAME = '=HYPERLINK("https://example.invalid/?","上海交通大学分析测试中心")';

jest.setTimeout(60_000);

describe('settlement through the HTTP gateway (supertest, real NATS + PostgreSQL)', () => {
  let sys: TestSystem;
  let app: INestApplication;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let runId: string;
  const bearer = (p: Parameters<typeof tokenFor>[0]) => `Bearer ${tokenFor(p)}`;
  const JS = bearer(operatorOf('JS'));

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
    await feedProgramme(sys, 'JS-2026');
    const region = await feedRegion(sys, 'JS');
    const e = enterpriseIn(region, '南京示范生物科技有限公司');
    await feedClaims(sys, [
      claim('JS-2026', e, provider('JS', '南京大学现代分析中心'), 1_234_567, '2026-08-01T10:00:00+08:00'),
      // a name a spreadsheet would run as a formula: the CSV files keep it text
      claim('JS-2026', e, provider('SH', FORMULA_NAME), 2_000_000, '2026-09-01T10:00:00+08:00'),
      claim('JS-2026', e, provider('ZJ', '浙江大学化学系'), 888_888, '2026-09-02T10:00:00+08:00'),
    ]);
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  it('an operator starts, reviews and publishes a run over HTTP', async () => {
    setNow(app, '2026-10-09T10:00:00+08:00');
    const started = await http.post('/v1/settlement/runs').set('Authorization', JS).set('Idempotency-Key', key()).send({ programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }).expect(201);
    runId = started.body.id;
    expect(started.body).toMatchObject({ state: 'review', collectedCount: 3 });
    await http.post(`/v1/settlement/runs/${runId}/review`).set('Authorization', bearer(operatorOf('ZJ'))).set('Idempotency-Key', key()).send({ approveAll: true }).expect(404);
    await http.post(`/v1/settlement/runs/${runId}/review`).set('Authorization', JS).set('Idempotency-Key', key()).send({ approveAll: true }).expect(200);
    const published = await http.post(`/v1/settlement/runs/${runId}/publish`).set('Authorization', JS).set('Idempotency-Key', key()).expect(200);
    expect(published.body.publication).toMatchObject({ firstDay: '2026-10-10', lastDay: '2026-10-15' });
    await http.get(`/v1/settlement/runs/${runId}`).expect(401);
  });

  it('R-PUB-1: the publicity list, the PDF notice and objections need no account', async () => {
    const open = await http.get('/v1/publicity').expect(200);
    expect(open.body.runs.map((r: { runId: string }) => r.runId)).toContain(runId);
    const list = await http.get(`/v1/publicity/${runId}`).expect(200);
    expect(list.body.items).toHaveLength(3);
    expect(list.body.items[0].enterpriseName).toBe('南京示范生物科技有限公司');

    const pdf = await http.get(`/v1/publicity/${runId}/notice.pdf`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = pdf.body as Buffer;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    writeFileSync(process.env.SETTLEMENT_NOTICE_OUT ?? '/tmp/settlement-notice.pdf', bytes);

    const target = list.body.items.find((i: { providerName: string }) => i.providerName === '浙江大学化学系');
    const objection = await http
      .post(`/v1/publicity/${runId}/objections`)
      .set('Idempotency-Key', key('pub'))
      .send({ claimId: target.claimId, objectorName: '公众甲', objectorContact: '13700000000', reason: '服务未完成' })
      .expect(201);
    expect(objection.body).toMatchObject({ status: 'open', objectorName: '公众甲' });
    await http.post(`/v1/publicity/${runId}/objections`).send({ claimId: target.claimId, objectorName: 'x', objectorContact: '123', reason: 'x' }).expect(400);
  });

  it('R-PAY-1 / R-CLEAR-1: disbursement, the instruction file and the statement as downloads', async () => {
    setNow(app, '2026-10-16T09:00:00+08:00');
    const done = await http.post(`/v1/settlement/runs/${runId}/disburse`).set('Authorization', JS).expect(200);
    expect(done.body).toMatchObject({ state: 'completed', instructionCount: 2, instructionFen: 308_641 + 500_000 });
    const csv = await http.get(`/v1/settlement/runs/${runId}/exports/instructions.csv`).set('Authorization', JS);
    expect({ status: csv.status, body: csv.status === 200 ? null : csv.text }).toEqual({ status: 200, body: null });
    expect(csv.headers['content-disposition']).toContain('instructions-JS-2026-2026Q3.csv');
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).toContain('收款方名称');
    expect(lines).toHaveLength(3);
    expect(csv.text).toContain('3,086.41');
    // OWASP CSV injection: the provider's formula-like name is written with a leading apostrophe
    expect(csv.text).toContain(`'${FORMULA_NAME.replace(/"/g, '""')}`);
    expect(csv.text).not.toMatch(/(^|,)"?=HYPERLINK/m);
    const list = await http.get(`/v1/publicity/${runId}/list.csv`).expect(200);
    expect(list.text).toContain(`'${FORMULA_NAME.replace(/"/g, '""')}`);
    expect(list.text).not.toMatch(/(^|,)"?=HYPERLINK/m);
    const probe = await http.get(`/v1/settlement/statements/2026Q3/export.xlsx`).set('Authorization', bearer(deltaOperator));
    if (probe.status !== 200) throw new Error(probe.text);
    const xlsx = await http.get(`/v1/settlement/statements/2026Q3/export.xlsx`).set('Authorization', bearer(deltaOperator)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect((xlsx.body as Buffer).subarray(0, 2).toString()).toBe('PK');
    const statement = await http.get('/v1/settlement/statements').query({ quarter: '2026Q3', detail: 'true' }).set('Authorization', bearer(deltaOperator)).expect(200);
    expect(statement.body).toMatchObject({ totalFen: 808_641, instructionFen: 808_641 });
    await http.get(`/v1/settlement/runs/${runId}/exports/instructions.csv`).set('Authorization', bearer(operatorOf('ZJ'))).expect(404);
  });

  it('a download is read in one snapshot: what commits meanwhile does not change what it reads, and it writes nothing', async () => {
    const count = `SELECT count(*)::int AS n FROM settlement.processed_events`;
    const [outside] = await sql(sys.db.url, count);
    await app.get(UnitOfWork).snapshot(async (read) => {
      const [first] = await read<{ n: number }>(count);
      expect(first.n).toBe(outside.n);
      await sql(sys.db.url, `INSERT INTO settlement.processed_events (consumer, event_id) VALUES ('snapshot-probe', gen_random_uuid())`);
      const [again] = await read<{ n: number }>(count);
      expect(again.n).toBe(first.n);
      await expect(read(`INSERT INTO settlement.processed_events (consumer, event_id) VALUES ('snapshot-probe', gen_random_uuid())`)).rejects.toThrow(/read-only/);
    }).catch((err: Error) => {
      if (!/read-only|current transaction is aborted/.test(err.message)) throw err;
    });
    expect((await sql(sys.db.url, count))[0].n).toBe(outside.n + 1);
    await sql(sys.db.url, `DELETE FROM settlement.processed_events WHERE consumer = 'snapshot-probe'`);
  });
});

import { Events, Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { registryService } from '../../../apps/registry/src/registry.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { providerAccount } from '../../fixtures/principals';

describe('registry: two instances side by side (queue group)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
    await sys.startService(registryService);
  });
  afterAll(async () => sys?.stop());

  it('every request is handled once and every event published once', async () => {
    const n = 60;
    const codes = Array.from({ length: n }, () => newCreditCode());
    const replies = await Promise.all(
      codes.map((code, i) =>
        sys.client.call(
          Subjects.registry.providerApply,
          { creditCode: code, legalName: '并发测试大学', unitName: `学院${i}`, kind: 'college', province: 'SH' },
          { principal: providerAccount(code), idempotencyKey: `two-${i}` },
        ),
      ),
    );
    expect(replies.every((r) => r.ok)).toBe(true);
    const [{ providers, audits }] = await sql(
      sys.db.url,
      `SELECT (SELECT count(*)::int FROM registry.providers) AS providers, (SELECT count(*)::int FROM registry.audit_log) AS audits`,
    );
    expect({ providers, audits }).toEqual({ providers: n, audits: n });

    // One relay holds the outbox lock; every event reaches the stream exactly once.
    const deadline = Date.now() + 10000;
    let unpublished = n;
    while (Date.now() < deadline && unpublished > 0) {
      unpublished = (await sql(sys.db.url, `SELECT count(*)::int AS n FROM registry.outbox WHERE published_at IS NULL`))[0].n;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(unpublished).toBe(0);
    const jsm = await sys.client.nc.jetstreamManager();
    // the registry's heartbeats (voucher.events.provider.heartbeat) are not among the events counted
    const info = await jsm.streams.info('VOUCHER_EVENTS', { subjects_filter: '>' });
    const events = Object.entries(info.state.subjects ?? {}).filter(([subject]) => subject !== Events.providerHeartbeat);
    expect(events.reduce((sum, [, count]) => sum + count, 0)).toBe(n);
  });
});

import { EVENT_STREAM, Subjects } from '@vc/contracts';
import { eventually, spawnService, sql, TestSystem } from '@vc/testing';
import { newCreditCode } from '../../fixtures/credit-codes';
import { providerAccount } from '../../fixtures/principals';

/**
 * Integrity under crashes: PostgreSQL is the source of truth; an event committed with its change
 * reaches JetStream exactly once even when the process dies between commit and publish, or between
 * publish and marking the row sent (the stream drops the re-publish by its Nats-Msg-Id).
 */
describe('faults: kill -9 around the outbox (separate OS processes, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let env: Record<string, string>;

  beforeAll(async () => {
    sys = await TestSystem.start();
    env = { DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, OUTBOX_POLL_MS: '20' };
  });
  afterAll(async () => sys?.stop());

  async function apply(idempotencyKey: string): Promise<string> {
    const code = newCreditCode();
    const provider = await sys.client.ok(
      Subjects.registry.providerApply,
      { creditCode: code, legalName: '故障测试大学', unitName: idempotencyKey, kind: 'college', province: 'AH' },
      { principal: providerAccount(code), idempotencyKey },
    );
    return provider.id;
  }

  async function streamCountFor(aggregateId: string): Promise<number> {
    const [row] = await sql(sys.db.url, `SELECT event_id FROM registry.outbox WHERE aggregate_id = $1`, [aggregateId]);
    const jsm = await sys.client.nc.jetstreamManager();
    const info = await jsm.streams.info(EVENT_STREAM);
    let count = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(EVENT_STREAM, { seq }).catch(() => null);
      if (msg && JSON.parse(new TextDecoder().decode(msg.data)).id === row.event_id) count++;
    }
    return count;
  }

  it('outbox: killed after commit, before publish → the next instance publishes the event once', async () => {
    const held = await spawnService('registry', { ...env, FAULT_INJECTION: 'outbox-hold' });
    const providerId = await apply('crash-before-publish');
    held.kill('SIGKILL');
    expect((await held.exited).signal).toBe('SIGKILL');
    expect((await sql(sys.db.url, `SELECT published_at FROM registry.outbox WHERE aggregate_id = $1`, [providerId]))[0].published_at).toBeNull();

    const next = await spawnService('registry', env);
    await eventually(async () => (await sql(sys.db.url, `SELECT published_at FROM registry.outbox WHERE aggregate_id = $1`, [providerId]))[0].published_at);
    expect(await streamCountFor(providerId)).toBe(1);
    next.kill('SIGTERM');
    await next.exited;
  });

  it('outbox: killed after publish, before marking sent → re-published, stored once (Nats-Msg-Id dedup)', async () => {
    const crashing = await spawnService('registry', { ...env, FAULT_INJECTION: 'crash-after-publish' });
    const reply = apply('crash-after-publish').catch(() => null);
    const exit = await crashing.exited;
    expect(exit.signal).toBe('SIGKILL');
    const providerId = (await reply) ?? (await sql(sys.db.url, `SELECT id FROM registry.providers WHERE unit_name = 'crash-after-publish'`))[0].id;
    expect((await sql(sys.db.url, `SELECT published_at FROM registry.outbox WHERE aggregate_id = $1`, [providerId]))[0].published_at).toBeNull();
    expect(await streamCountFor(providerId)).toBe(1);

    const next = await spawnService('registry', env);
    await eventually(async () => (await sql(sys.db.url, `SELECT published_at FROM registry.outbox WHERE aggregate_id = $1`, [providerId]))[0].published_at);
    expect(await streamCountFor(providerId)).toBe(1);
    next.kill('SIGTERM');
    await next.exited;
  });
});

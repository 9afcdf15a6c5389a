import { subjectMatches } from './bus';

describe('NATS subject filters', () => {
  it('take a subject as nats-server does: `*` one token, `>` one or more at the end', () => {
    expect(subjectMatches('voucher.events.provider.>', 'voucher.events.provider.heartbeat')).toBe(true);
    expect(subjectMatches('voucher.events.provider.>', 'voucher.events.provider')).toBe(false);
    expect(subjectMatches('voucher.events.*.heartbeat', 'voucher.events.programme.heartbeat')).toBe(true);
    expect(subjectMatches('voucher.events.*', 'voucher.events.programme.heartbeat')).toBe(false);
    expect(subjectMatches('voucher.events.programme.opened', 'voucher.events.programme.opened')).toBe(true);
    expect(subjectMatches('voucher.events.programme.opened', 'voucher.events.programme.heartbeat')).toBe(false);
    expect(subjectMatches('voucher.events.programme.opened.x', 'voucher.events.programme.opened')).toBe(false);
  });
});

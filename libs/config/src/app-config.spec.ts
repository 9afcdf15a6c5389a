import { loadConfig, ConfigError } from './app-config';

describe('configuration', () => {
  it('boots on defaults for development', () => {
    expect(loadConfig({}).NATS_URL).toMatch(/^nats:\/\//);
  });
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ DB_POOL_SIZE: 'many' })).toThrow(/DB_POOL_SIZE/);
  });
  it('names a payment batch or heap setting out of its range', () => {
    expect(() => loadConfig({ PAY_BATCH_MAX: '0' })).toThrow(/PAY_BATCH_MAX/);
    expect(() => loadConfig({ PAY_BATCH_IN_FLIGHT: 'all' })).toThrow(/PAY_BATCH_IN_FLIGHT/);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
    expect(loadConfig({ PAY_BATCH_MAX: '1', HEAP_GROWING_PERCENT: '0' })).toMatchObject({ PAY_BATCH_MAX: 1, HEAP_GROWING_PERCENT: 0 });
  });
  it('refuses the development key in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });
  it('refuses test-only switches in production (simulated clock, fault injection)', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars!!' };
    expect(() => loadConfig({ ...prod, CLOCK_MODE: 'simulated' })).toThrow(/CLOCK_MODE/);
    expect(() => loadConfig({ ...prod, FAULT_INJECTION: 'outbox-hold' })).toThrow(/FAULT_INJECTION/);
    expect(loadConfig(prod).CLOCK_MODE).toBe('system');
  });
});

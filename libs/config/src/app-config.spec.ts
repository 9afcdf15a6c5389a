import { loadConfig, ConfigError } from './app-config';

const dev = { NODE_ENV: 'development' };
const prod = { NODE_ENV: 'production', SECRETS_DIR: '/run/secrets/voucher' };

describe('configuration', () => {
  it('boots on defaults for development', () => {
    expect(loadConfig(dev).NATS_URL).toMatch(/^nats:\/\//);
  });
  it('fails closed: without NODE_ENV it is production, which needs its secrets, binds loopback and has no dev sign-in', () => {
    expect(() => loadConfig({})).toThrow(/SECRETS_DIR/);
    const config = loadConfig({ SECRETS_DIR: '/run/secrets/voucher' });
    expect(config).toMatchObject({ NODE_ENV: 'production', BIND_ADDRESS: '127.0.0.1', DEV_SIGN_IN: 'false', GRPC_PLAINTEXT: 'false' });
  });
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ ...dev, DB_POOL_SIZE: 'many' })).toThrow(/DB_POOL_SIZE/);
  });
  it('names a payment batch or heap setting out of its range', () => {
    expect(() => loadConfig({ ...dev, PAY_BATCH_MAX: '0' })).toThrow(/PAY_BATCH_MAX/);
    expect(() => loadConfig({ ...dev, PAY_BATCH_IN_FLIGHT: 'all' })).toThrow(/PAY_BATCH_IN_FLIGHT/);
    expect(() => loadConfig({ ...dev, HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
    expect(loadConfig({ ...dev, PAY_BATCH_MAX: '1', HEAP_GROWING_PERCENT: '0' })).toMatchObject({ PAY_BATCH_MAX: 1, HEAP_GROWING_PERCENT: 0 });
  });
  it('refuses development switches and example secrets in production', () => {
    expect(() => loadConfig({ ...prod, DEV_SIGN_IN: 'true' })).toThrow(/DEV_SIGN_IN/);
    expect(() => loadConfig({ ...prod, GRPC_PLAINTEXT: 'true' })).toThrow(/GRPC_PLAINTEXT/);
    expect(() => loadConfig({ ...prod, NATS_PASSWORD: 'change-me' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...prod, DATABASE_URL: 'postgres://voucher:postgres@db:5432/voucher' })).toThrow(ConfigError);
    expect(loadConfig({ ...dev, DEV_SIGN_IN: 'true', GRPC_PLAINTEXT: 'true' })).toMatchObject({ DEV_SIGN_IN: 'true', GRPC_PLAINTEXT: 'true' });
  });
  it('refuses test-only switches in production (simulated clock, fault injection)', () => {
    expect(() => loadConfig({ ...prod, CLOCK_MODE: 'simulated' })).toThrow(/CLOCK_MODE/);
    expect(() => loadConfig({ ...prod, FAULT_INJECTION: 'outbox-hold' })).toThrow(/FAULT_INJECTION/);
    expect(loadConfig(prod).CLOCK_MODE).toBe('system');
  });
});

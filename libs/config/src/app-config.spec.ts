import { loadConfig, ConfigError } from './app-config';

describe('configuration', () => {
  it('boots on defaults for development', () => {
    expect(loadConfig({}).NATS_URL).toMatch(/^nats:\/\//);
  });
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ DB_POOL_SIZE: 'many' })).toThrow(/DB_POOL_SIZE/);
  });
  it('refuses the development key in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });
});

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppConfig } from '@vc/config';
import { freePorts, TEST_PG_ADMIN_URL } from '@vc/testing';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '../../..');
const INFRA = join(ROOT, 'scripts/infra.sh');

/** The kernel's ephemeral port range: any outgoing connection may be given a port in it. */
function ephemeralRange(): [number, number] {
  const text = existsSync('/proc/sys/net/ipv4/ip_local_port_range') ? readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8') : '32768 60999';
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return [low, high];
}

/**
 * scripts/infra.sh, the local infrastructure both README commands start: its ports, and where
 * PostgreSQL keeps its data when the checkout sits in a folder the postgres user cannot enter.
 */
describe('local infrastructure (scripts/infra.sh)', () => {
  it('default ports lie below the ephemeral port range (a reconnecting client cannot take them)', () => {
    const [low] = ephemeralRange();
    const script = readFileSync(INFRA, 'utf8');
    const defaults = {
      'infra.sh PGPORT': Number(/PG_PORT="\$\{PGPORT:-(\d+)\}"/.exec(script)?.[1]),
      'infra.sh NATS_PORT': Number(/NATS_PORT="\$\{NATS_PORT:-(\d+)\}"/.exec(script)?.[1]),
      'infra.sh NATS_HTTP_PORT': Number(/NATS_HTTP_PORT="\$\{NATS_HTTP_PORT:-(\d+)\}"/.exec(script)?.[1]),
      'AppConfig DATABASE_URL': Number(new URL(new AppConfig().DATABASE_URL).port),
      'AppConfig NATS_URL': Number(new URL(new AppConfig().NATS_URL).port),
    };
    for (const [what, port] of Object.entries(defaults)) {
      expect({ what, port: port > 0 && port < low }).toEqual({ what, port: true });
    }
    // the services, the tests and the scripts name the same server
    expect(defaults['AppConfig DATABASE_URL']).toBe(defaults['infra.sh PGPORT']);
    expect(defaults['AppConfig NATS_URL']).toBe(defaults['infra.sh NATS_PORT']);
    if (!process.env.TEST_PG_ADMIN_URL) expect(Number(new URL(TEST_PG_ADMIN_URL).port)).toBe(defaults['infra.sh PGPORT']);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('as root, from a checkout in a private folder (mode 700, like root\'s home): PostgreSQL initialises, starts, answers and stops', async () => {
    const home = mkdtempSync(join(tmpdir(), 'vc-home-'));
    chmodSync(home, 0o700);
    const state = join(home, 'clone', '.infra');
    mkdirSync(state, { recursive: true });
    const [pg, nats, natsHttp] = await freePorts(3);
    const env = { ...process.env, VC_INFRA_DIR: state, PGPORT: String(pg), NATS_PORT: String(nats), NATS_HTTP_PORT: String(natsHttp) };
    const infra = (verb: string) => spawnSync('bash', [INFRA, verb], { env, encoding: 'utf8', timeout: 90_000 });
    let dataDir = '';
    try {
      const up = infra('up');
      expect({ status: up.status, output: up.stdout + up.stderr }).toEqual({ status: 0, output: expect.stringContaining('PostgreSQL started') });
      dataDir = readFileSync(join(state, 'pg-data'), 'utf8').trim();
      // out of the private folder, where the postgres user can reach it
      expect(dataDir.startsWith(home)).toBe(false);
      const client = new Client({ connectionString: `postgres://postgres@127.0.0.1:${pg}/voucher` });
      await client.connect();
      expect((await client.query('SELECT current_setting($1) AS port', ['port'])).rows[0].port).toBe(String(pg));
      await client.end();
      expect(infra('status').stdout).toContain(`pg: up (data in ${dataDir})`);
    } finally {
      const down = infra('down');
      expect(down.status).toBe(0);
      expect(infra('status').stdout).toContain('pg: down');
      if (dataDir && !dataDir.startsWith(home)) rmSync(dataDir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  });
});

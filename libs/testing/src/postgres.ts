import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freeServerPort } from './infra';

/** The newest PostgreSQL of the Debian packages (scripts/infra.sh installs it). */
export function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  if (!versions.length) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/infra.sh up)');
  versions.sort((a, b) => Number(a) - Number(b));
  return join(base, versions[versions.length - 1], 'bin');
}

const asRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL program as the postgres user when we are root (PostgreSQL refuses root). */
export function runAsPostgres(program: string, args: string[], options: { allowFailure?: boolean } = {}): { status: number | null; output: string } {
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  const r = spawnSync(cmd, argv, { cwd: '/', encoding: 'utf8', timeout: 120_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 && !options.allowFailure) throw new Error(`${program} ${args.join(' ')} failed (${r.status}):\n${output}`);
  return { status: r.status, output };
}

/** A directory the postgres user owns (a fresh temp dir; chowned when we are root). */
export function postgresDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (asRoot()) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
  }
  return dir;
}

export interface TestPostgresOptions {
  /** extra postgresql.conf lines */
  conf?: string[];
  /** an existing data directory (a standby made by pg_basebackup) instead of initdb */
  dataDir?: string;
  port?: number;
}

/**
 * A PostgreSQL server of a test's own (its own data directory and port), for tests that crash,
 * stall, restart or fail it over; never the shared server the other suites use.
 */
export class TestPostgres {
  private constructor(readonly dataDir: string, readonly port: number) {}

  static async start(options: TestPostgresOptions = {}): Promise<TestPostgres> {
    // below the ephemeral range: these servers are killed and started again on the same port
    const port = options.port ?? (await freeServerPort());
    let dataDir = options.dataDir;
    if (!dataDir) {
      dataDir = postgresDir('vc-pg-');
      runAsPostgres(join(pgBin(), 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    }
    const pg = new TestPostgres(dataDir, port);
    pg.appendConf([
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${dataDir}'`,
      'max_connections = 200',
      'shared_buffers = 64MB',
      'fsync = on',
      'synchronous_commit = on',
      'max_locks_per_transaction = 256',
      ...(options.conf ?? []),
    ]);
    await pg.start();
    return pg;
  }

  /**
   * A streaming standby of `primary` (pg_basebackup of it, then started in standby mode), named
   * `name` in the primary's pg_stat_replication (synchronous_standby_names may name it). Its own
   * synchronous_standby_names is empty: once promoted it has no standby to wait for.
   */
  static async standbyOf(primary: TestPostgres, name = 'standby', conf: string[] = []): Promise<TestPostgres> {
    const dataDir = postgresDir('vc-pg-standby-');
    runAsPostgres(join(pgBin(), 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-X', 'stream', '--checkpoint=fast']);
    runAsPostgres('touch', [join(dataDir, 'standby.signal')]);
    return TestPostgres.start({
      dataDir,
      conf: [`primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}'`, "synchronous_standby_names = ''", 'hot_standby = on', ...conf],
    });
  }

  /** Promotes a standby to primary (pg_ctl promote, waiting until it accepts writes). */
  promote(): void {
    runAsPostgres(join(pgBin(), 'pg_ctl'), ['-D', this.dataDir, '-w', '-t', '60', 'promote']);
  }

  /** Lines appended to postgresql.conf (the last setting of a name wins); read at the next start or reload. */
  appendConf(lines: string[]): void {
    const file = join(this.dataDir, 'postgresql.conf');
    const existing = readFileSync(file, 'utf8');
    writeFileSync(file, `${existing}\n${lines.join('\n')}\n`);
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The postmaster's pid (first line of postmaster.pid), or null when it is not running. */
  pid(): number | null {
    const file = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /**
   * Starts the server and waits until it accepts connections. After a crash (kill -9) the
   * postmaster's old backends may take a moment to notice and exit; until then a new postmaster
   * refuses the shared memory they hold, so the start is retried.
   */
  async start(): Promise<void> {
    await this.waitOrphans();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = runAsPostgres(join(pgBin(), 'pg_ctl'), ['-D', this.dataDir, '-l', join(this.dataDir, 'server.log'), '-o', `-p ${this.port}`, '-w', '-t', '60', 'start'], {
        allowFailure: true,
      });
      if (r.status === 0) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL in ${this.dataDir} did not start:\n${r.output}\n${this.log().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** pg_ctl stop (fast: transactions in flight roll back, clients are disconnected). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (this.pid() === null) return;
    runAsPostgres(join(pgBin(), 'pg_ctl'), ['-D', this.dataDir, '-m', mode, '-w', 'stop'], { allowFailure: true });
  }

  /**
   * A signal to the server: SIGKILL of the postmaster (a crash: its backends exit when they notice,
   * and start() waits for them), or SIGSTOP / SIGCONT of the postmaster and every process of it
   * (a stall of the whole server: backends, writer, WAL writer...).
   */
  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    const pid = this.pid();
    if (pid === null) throw new Error('PostgreSQL is not running');
    if (signal === 'SIGKILL') {
      this.orphans = this.processes().slice(1);
      process.kill(pid, 'SIGKILL');
      return;
    }
    for (const p of this.processes()) {
      try {
        process.kill(p, signal);
      } catch {
        // a backend that exited in between
      }
    }
  }

  /** the backends of a postmaster killed with SIGKILL, until they are gone */
  private orphans: number[] = [];

  /** The postmaster and its children. */
  processes(): number[] {
    const pid = this.pid();
    if (pid === null) return [];
    const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout ?? '';
    return [pid, ...out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0)];
  }

  /** Waits until the processes of a killed postmaster are gone (a new one cannot start before). */
  private async waitOrphans(timeoutMs = 30_000): Promise<void> {
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.orphans.some(alive)) await new Promise((resolve) => setTimeout(resolve, 50));
    this.orphans = this.orphans.filter(alive);
  }

  log(): string {
    const file = join(this.dataDir, 'server.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async query<T = any>(text: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const c = new Client({ connectionString: this.url(database) });
    await c.connect();
    try {
      return (await c.query(text, params)).rows;
    } finally {
      await c.end();
    }
  }

  async createDatabase(name: string): Promise<string> {
    await this.query(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  async dispose(): Promise<void> {
    if (this.pid() !== null) {
      try {
        this.signal('SIGCONT');
      } catch {
        // not running
      }
      await this.stop('immediate');
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

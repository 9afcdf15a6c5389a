import { Client } from 'pg';
import { advisoryKey } from '@vc/database';

/**
 * Holds a service's outbox relay, as a relay that cannot reach NATS would leave its events: the
 * session holding the relay's lock (`outbox:<schema>`) is ended and the lock taken before the relay
 * retries, so nothing the service commits from now is published until `release()`. For tests of
 * what another service does while it has not heard (a race made certain, a copy going stale).
 */
export async function holdOutboxRelay(databaseUrl: string, schema: string, timeoutMs = 20_000): Promise<{ release(): Promise<void> }> {
  const lock = advisoryKey(`outbox:${schema}`);
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    for (const deadline = Date.now() + timeoutMs; ; ) {
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid AND pid <> pg_backend_pid()`, [lock >>> 0]);
      if ((await c.query('SELECT pg_try_advisory_lock($1) AS locked', [lock])).rows[0].locked) break;
      if (Date.now() > deadline) throw new Error(`could not hold the ${schema} outbox relay within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await c.end();
    throw err;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await c.end(); // the session's lock goes with it
    },
  };
}

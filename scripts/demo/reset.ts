/**
 * The demo plays on its own database and a fresh event stream, so it can be played again and
 * again from the same start: drops and recreates the demo database and the JetStream stream.
 */
import { connectLocal } from '../local-nats';
import { Client } from 'pg';
import { EVENT_STREAM } from '@vc/contracts';

async function main() {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:15432/voucher_demo');
  const name = url.pathname.slice(1);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected database name ${name}`);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  // the operators' tool user administers the stream
  const nc = await connectLocal('ops');
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(EVENT_STREAM).catch(() => false);
  await nc.close();
  console.log(`[demo] fresh database ${name} and event stream`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

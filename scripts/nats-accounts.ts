/**
 * Writes the NATS accounts and permissions generated from libs/contracts (bus.ts, events.ts) to the
 * files every deployment includes: deploy/nats/accounts.conf (one server, docker compose, the local
 * set-up, the 3-node cluster) and deploy/k8s/base/nats/accounts.conf (Kubernetes). A test fails when
 * they differ from the generated text.
 *   npm run nats:accounts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsAccountsConf } from '@vc/messaging';

export const ACCOUNTS_FILES = ['deploy/nats/accounts.conf', 'deploy/k8s/base/nats/accounts.conf'];

if (require.main === module) {
  const text = natsAccountsConf();
  for (const file of ACCOUNTS_FILES) {
    writeFileSync(join(__dirname, '..', file), text);
    console.log(`[nats] wrote ${file}`);
  }
}

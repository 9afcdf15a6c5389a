import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { SecretFiles } from '@vc/auth';
import { inboxPrefix } from '@vc/messaging';

/** The local secrets (scripts/infra.sh makes them): SECRETS_DIR, or .infra/secrets of the checkout the tools run from. */
export function localSecretsDir(): string {
  return process.env.SECRETS_DIR ?? join(process.cwd(), '.infra', 'secrets');
}

/**
 * A NATS connection as one of the system's users, with its password from the local secrets: the
 * demo and the tools connect as what they stand for (the operators' `ops` tool user, the gateway
 * for the apps that reach the system through it, the provider template account for a provider system).
 */
export function connectLocal(user: string, url = process.env.NATS_URL ?? 'nats://127.0.0.1:14222', name = `local-${user}`): Promise<NatsConnection> {
  const pass = readFileSync(join(localSecretsDir(), SecretFiles.natsPassword(user)), 'utf8').trim();
  return connect({ servers: url, name, user, pass, inboxPrefix: user === 'provider-template' ? undefined : inboxPrefix(user) });
}

import {
  clockSetSubject,
  durablesOf,
  EVENT_STREAM,
  eventsOwnedBy,
  PROVIDER_SUBJECTS,
  RATE_LIMIT_BUCKET,
  requestSubjectsOf,
  SERVICE_NAMES,
  SERVICE_REQUESTS,
  ServiceName,
} from '@vc/contracts';
import { inboxPrefix } from './nats.module';

/**
 * The NATS accounts, users and permissions of the whole system, generated from the bus data in
 * libs/contracts (bus.ts: services, their durable consumers, the requests between them, what a
 * provider system may call; events.ts: which service owns each event type). One place for
 * everything: deploy/nats/accounts.conf is this text (kept equal by a test), and the local set-up,
 * docker compose, Kubernetes and every test suite run nats-server with it.
 */
export interface NatsUserPermissions {
  user: string;
  publish: string[];
  subscribe: string[];
  /** may answer requests it received (publish to their reply subjects, once each) */
  allowResponses: boolean;
}

const STREAM = EVENT_STREAM;

/** The JetStream API subjects a service needs for its own durables, and nothing of another's. */
function jetStreamOf(service: ServiceName): string[] {
  const api = ['$JS.API.INFO', `$JS.API.STREAM.INFO.${STREAM}`, `$JS.API.STREAM.CREATE.${STREAM}`];
  for (const durable of durablesOf(service)) {
    api.push(
      `$JS.API.CONSUMER.CREATE.${STREAM}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${STREAM}.${durable}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${STREAM}.${durable}`,
      `$JS.API.CONSUMER.INFO.${STREAM}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${STREAM}.${durable}`,
      `$JS.ACK.${STREAM}.${durable}.>`,
    );
  }
  return api;
}

export function servicePermissions(service: ServiceName): NatsUserPermissions {
  return {
    user: service,
    publish: [...eventsOwnedBy(service), ...jetStreamOf(service), ...SERVICE_REQUESTS[service]],
    // Its own request subjects, in its own queue group only; its clock (simulated mode, every
    // instance); its own inbox.
    subscribe: [...requestSubjectsOf(service).map((s) => `${s} ${service}`), clockSetSubject(service), `${inboxPrefix(service)}.>`],
    allowResponses: true,
  };
}

/** What a client of one KV bucket needs: create and read its stream, get, put and update its keys. */
function kvBucketApi(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$KV.${bucket}.>`,
  ];
}

export function gatewayPermissions(): NatsUserPermissions {
  // subjects one service calls on another with its service credentials are not the public's
  const serviceOnly = new Set(Object.values(SERVICE_REQUESTS).flat());
  return {
    user: 'gateway',
    // every request subject of the four services (it forwards HTTP to them) and its rate-limit
    // bucket, nothing else: no events, no other JetStream, no clock
    publish: [...SERVICE_NAMES.flatMap((s) => requestSubjectsOf(s)).filter((s) => !serviceOnly.has(s)), ...kvBucketApi(RATE_LIMIT_BUCKET)],
    subscribe: [`${inboxPrefix('gateway')}.>`],
    allowResponses: false,
  };
}

/**
 * Operators' tool user: JetStream administration (stream and consumer reports, replicas, backups)
 * and the simulated clock of a demo; it may not publish events or answer requests.
 */
export function opsPermissions(): NatsUserPermissions {
  return {
    user: 'ops',
    publish: ['$JS.API.>', ...SERVICE_NAMES.map((s) => clockSetSubject(s))],
    subscribe: [`${inboxPrefix('ops')}.>`],
    allowResponses: false,
  };
}

/** Every user of the VOUCHER account. */
export function voucherAccountUsers(): NatsUserPermissions[] {
  return [gatewayPermissions(), ...SERVICE_NAMES.map(servicePermissions), opsPermissions()];
}

/** The NATS users the system has (for passwords): the VOUCHER account's and the provider template's. */
export const NATS_USERS = ['gateway', ...SERVICE_NAMES, 'ops', 'provider-template'] as const;

export function passwordVariable(user: string): string {
  return `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
}

function list(items: string[], indent: string): string {
  return `[\n${items.map((i) => `${indent}  ${JSON.stringify(i)}`).join(',\n')}\n${indent}]`;
}

function userBlock(u: NatsUserPermissions, indent: string): string {
  const i2 = `${indent}  `;
  const i3 = `${i2}  `;
  return [
    `${indent}{`,
    `${i2}user: ${JSON.stringify(u.user)}`,
    `${i2}password: $${passwordVariable(u.user)}`,
    `${i2}permissions: {`,
    `${i3}publish: { allow: ${list(u.publish, i3)} }`,
    `${i3}subscribe: { allow: ${list(u.subscribe, i3)} }`,
    ...(u.allowResponses ? [`${i3}allow_responses: true`] : []),
    `${i2}}`,
    `${indent}}`,
  ].join('\n');
}

/**
 * The text of deploy/nats/accounts.conf. `extraUsers` adds users to the VOUCHER account for a
 * harness that is not part of the system (the benchmark's ceiling); the shipped file has none.
 */
export function natsAccountsConf(extraUsers: NatsUserPermissions[] = []): string {
  const header = `# Accounts, users and subject permissions of the voucher clearing system.
#
# GENERATED from libs/contracts (bus.ts, events.ts) by \`npm run nats:accounts\`: do not edit by
# hand; change the bus data and regenerate (a test keeps this file equal to the generated text).
# Included by deploy/nats/nats.conf, deploy/nats/cluster/*.conf and the Kubernetes NATS config,
# and by the local set-up (scripts/infra.sh) and every test suite (libs/testing): everything runs
# with these permissions. There is no anonymous user.
#
# Passwords come from nats-server's environment ($NATS_<USER>_PASSWORD), made by \`npm run secrets\`
# (scripts/secrets.ts) into SECRETS_DIR/nats/<user>.password; each service reads its own.
#
# VOUCHER             the five services (each its own user), and the operators' ops user; JetStream
#                     (stream ${STREAM}) lives here. A service publishes only the events it owns,
#                     answers only its own request subjects in its own queue group, uses only its own
#                     durable consumers, and reads only its own inbox (_INBOX_<user>).
# PROVIDER_TEMPLATE   one provider system: copy it once per provider system (PROVIDER_<unit>, own
#                     user and password variable); an account of its own keeps its replies private.
`;
  const users = [...voucherAccountUsers(), ...extraUsers];
  const exports = PROVIDER_SUBJECTS.map((s) => `      { service: ${JSON.stringify(s)} }`).join('\n');
  const imports = PROVIDER_SUBJECTS.map((s) => `      { service: { account: VOUCHER, subject: ${JSON.stringify(s)} } }`).join('\n');
  const provider: NatsUserPermissions = { user: 'provider-template', publish: [...PROVIDER_SUBJECTS], subscribe: ['_INBOX.>'], allowResponses: false };
  return `${header}
accounts {
  VOUCHER {
    jetstream: enabled
    users: [
${users.map((u) => userBlock(u, '      ')).join('\n')}
    ]
    # what provider systems reach from their own accounts
    exports: [
${exports}
    ]
  }

  # TEMPLATE of a provider system's account: the redemption requests a provider system makes, and
  # its own replies. Redemption still authorises every request by its bearer token (role provider,
  # org = the provider unit).
  PROVIDER_TEMPLATE {
    users: [
${userBlock(provider, '      ')}
    ]
    imports: [
${imports}
    ]
  }
}
`;
}

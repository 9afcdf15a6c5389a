import { clockSetSubject, Events, Subjects } from './subjects';

/**
 * Who may do what on the bus, as data: the services and their durable event consumers, the
 * requests one service makes of another, and the subjects a provider system may call. The NATS
 * server's accounts and permissions are generated from this (libs/messaging, natsAccountsConf;
 * deploy/nats/accounts.conf), the event consumers are built from it, and the event catalog
 * (events.ts) says which service owns each event type.
 */
export const SERVICE_NAMES = ['registry', 'issuance', 'redemption', 'settlement'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(value: unknown): value is ServiceName {
  return typeof value === 'string' && (SERVICE_NAMES as readonly string[]).includes(value);
}

/** One durable consumer group of a service; each subject gets a durable of its own (`durableName`). */
export interface ConsumerSpec {
  durable: string;
  subjects: readonly string[];
}

/**
 * The event consumers of each service. A durable's JetStream name is derived from its group and
 * subject, so that the NATS permissions can name each one and no service can pull or ack another's.
 */
export const EVENT_CONSUMERS = {
  registry: [],
  issuance: [
    { durable: 'issuance-region-default', subjects: ['voucher.events.region.*'] },
    { durable: 'issuance-quota-lapsed', subjects: ['voucher.events.quota.lapsed'] },
  ],
  redemption: [
    {
      durable: 'redemption-projections',
      subjects: ['voucher.events.programme.>', 'voucher.events.enterprise.approved', 'voucher.events.quota.granted', 'voucher.events.provider.>'],
    },
    { durable: 'redemption-settlement', subjects: ['voucher.events.settlement.>'] },
  ],
  settlement: [
    {
      durable: 'settlement-projection',
      subjects: [
        'voucher.events.programme.opened',
        'voucher.events.programme.versioned',
        'voucher.events.programme.closed',
        'voucher.events.region.registered',
        'voucher.events.region.updated',
        'voucher.events.enterprise.approved',
        'voucher.events.claim.submitted',
        'voucher.events.claim.amended',
        'voucher.events.claim.flagged',
        'voucher.events.programme.heartbeat',
      ],
    },
  ],
} as const satisfies Record<ServiceName, readonly ConsumerSpec[]>;

/**
 * State one service owns and another keeps a copy of, to decide on its own (ADR 0003): the owner
 * sends a heartbeat through its outbox on the subject of those events, and a keeper refuses to
 * decide with a copy whose last heartbeat applied is older than its bound (COPY_MAX_AGE_SECONDS,
 * COPY_STALE). docs/reliability.md lists every copy.
 */
export const COPIES = {
  /** the registry's providers: standing, suspension, programme exclusions (R-REG-2..4) */
  providers: { owner: 'registry', heartbeat: Events.providerHeartbeat },
  /** issuance's programmes and their versions (R-PROG-1) */
  programmes: { owner: 'issuance', heartbeat: Events.programmeHeartbeat },
} as const satisfies Record<string, { owner: ServiceName; heartbeat: string }>;
export type CopyName = keyof typeof COPIES;
export const COPY_NAMES = Object.keys(COPIES) as CopyName[];

/** A copy a service guards by freshness, and the subjects of its consumer group that feed it. */
export interface GuardedCopy {
  copy: CopyName;
  /** the consumer group (EVENT_CONSUMERS) that applies the copy's events and its heartbeats */
  durable: string;
  /** every subject of that group whose events change the copy, the heartbeat's included */
  subjects: readonly string[];
}

/** The copies each service refuses to decide with once they are older than its bound. */
export const GUARDED_COPIES: Record<ServiceName, readonly GuardedCopy[]> = {
  registry: [],
  issuance: [],
  redemption: [
    { copy: 'providers', durable: 'redemption-projections', subjects: ['voucher.events.provider.>'] },
    { copy: 'programmes', durable: 'redemption-projections', subjects: ['voucher.events.programme.>'] },
  ],
  settlement: [
    {
      copy: 'programmes',
      durable: 'settlement-projection',
      subjects: ['voucher.events.programme.opened', 'voucher.events.programme.versioned', 'voucher.events.programme.closed', 'voucher.events.programme.heartbeat'],
    },
  ],
};

/** The heartbeat subjects a service emits (for the copies of its state others keep). */
export function heartbeatsOf(service: ServiceName): Array<{ copy: CopyName; subject: string }> {
  return COPY_NAMES.filter((c) => COPIES[c].owner === service).map((copy) => ({ copy, subject: COPIES[copy].heartbeat }));
}

/** The copy a heartbeat subject vouches for, if it is one. */
export function heartbeatCopy(subject: string): CopyName | undefined {
  return COPY_NAMES.find((c) => COPIES[c].heartbeat === subject);
}

/** The consumer group `durable` of `service` (as declared in EVENT_CONSUMERS). */
export function consumerSpec(service: ServiceName, durable: string): ConsumerSpec {
  const spec = (EVENT_CONSUMERS[service] as readonly ConsumerSpec[]).find((c) => c.durable === durable);
  if (!spec) throw new Error(`${service} declares no event consumer ${durable} (libs/contracts/src/bus.ts)`);
  return spec;
}

/** Whether a NATS subject filter (tokens, `*` for one, `>` for one or more at the end) takes `subject`. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/**
 * The JetStream durable name of one subject of a consumer group: wildcard subjects (one consumer
 * for an entity's events) need a valid name.
 */
export function durableName(durable: string, subject: string): string {
  return `${durable}--${subject.split('.').slice(2).join('-').replace(/>/g, 'all').replace(/\*/g, 'any')}`;
}

/** Every JetStream durable of a service. */
export function durablesOf(service: ServiceName): string[] {
  return (EVENT_CONSUMERS[service] as readonly ConsumerSpec[]).flatMap((c) => c.subjects.map((s) => durableName(c.durable, s)));
}

/**
 * Requests a service makes of another on its own behalf, with its service credentials (a token
 * signed by its own key). Everything else between services travels as events.
 */
export const SERVICE_REQUESTS: Record<ServiceName, readonly string[]> = {
  registry: [],
  issuance: [],
  redemption: [],
  settlement: [Subjects.redemption.claimConfirm],
};

/**
 * What a provider system may call over NATS (from its own account; redemption still authorises
 * every request by the bearer token it carries: role provider, org = the provider unit).
 */
export const PROVIDER_SUBJECTS: readonly string[] = [
  Subjects.redemption.orderCreate,
  Subjects.redemption.orderConfirm,
  Subjects.redemption.orderQuote,
  Subjects.redemption.orderPay,
  Subjects.redemption.orderCancel,
  Subjects.redemption.orderComplete,
  Subjects.redemption.orderGet,
  Subjects.redemption.orderList,
  Subjects.redemption.claimSubmit,
  Subjects.redemption.claimAmend,
  Subjects.redemption.claimGet,
  Subjects.redemption.claimList,
];

/**
 * Request subjects of a service (what it answers, in its queue group). Its clock subject is not
 * one: every instance answers it without a queue group, and only the operators' tool may send it.
 */
export function requestSubjectsOf(service: ServiceName): string[] {
  return Object.values(Subjects[service]).filter((s) => s !== clockSetSubject(service));
}

/**
 * The NATS KV bucket of the gateway's rate-limit counters, shared by every gateway instance; the
 * gateway's only JetStream (libs/messaging nats-accounts: it may use this bucket's stream and
 * nothing else of JetStream).
 */
export const RATE_LIMIT_BUCKET = 'RATE_LIMITS';

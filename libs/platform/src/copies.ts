import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { Gauge, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '@vc/config';
import { COPIES, CopyName, durableName, EVENT_STREAM, GUARDED_COPIES, GuardedCopy, heartbeatsOf, HeartbeatEvent, isServiceName, subjectMatches } from '@vc/contracts';
import { addToOutbox } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { NATS_CONNECTION } from '@vc/messaging';
import { Outbox } from './database.provider';
import { ReadinessDetails } from './readiness';
import { SERVICE_DEFINITION, ServiceDefinition } from './service-definition';
import { identityOf } from './service-keys';

/** How long a published heartbeat stays in its owner's outbox (the stream keeps it). */
const PUBLISHED_HEARTBEAT_KEPT = '10 minutes';
/** How often a keeper works out how fresh its copies are. */
const REFRESH_MS = 1000;

/**
 * The owner's side (registry: providers, issuance: programmes; libs/contracts COPIES): every
 * HEARTBEAT_INTERVAL_MS a heartbeat goes into the outbox, so it reaches the stream after every event
 * committed before it — a keeper that has applied it and everything before it has the owner's state
 * as of its instant. Published heartbeats leave the outbox after a while. Each instance sends its
 * own; more heartbeats only make copies fresher sooner.
 */
@Injectable()
export class HeartbeatEmitter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatEmitter.name);
  private timer: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: Outbox,
    private readonly config: AppConfig,
    @Inject(SERVICE_DEFINITION) private readonly def: ServiceDefinition,
  ) {}

  private get beats() {
    const service = identityOf(this.def);
    // Only the service itself vouches for its state: a tool acting as it (the settle CLI) does not.
    return isServiceName(service) && service === this.def.name ? heartbeatsOf(service) : [];
  }

  onApplicationBootstrap(): void {
    if (this.beats.length === 0 || this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One heartbeat per copy the service owns, in one transaction; published ones older than a while removed. */
  async beat(): Promise<void> {
    try {
      await this.ds.transaction(async (tx) => {
        for (const { copy, subject } of this.beats) {
          const payload: HeartbeatEvent = { copy, emittedAt: new Date().toISOString() };
          await addToOutbox(tx, this.def.schema, { subject, aggregateType: 'heartbeat', aggregateId: copy, payload });
          // The subject as a literal (a constant of libs/contracts), so the partial index outbox_heartbeats serves.
          await tx.query(`DELETE FROM "${this.def.schema}".outbox WHERE subject = '${subject}' AND published_at < now() - interval '${PUBLISHED_HEARTBEAT_KEPT}'`);
        }
      });
      this.outbox.nudge();
      if (this.failing) this.logger.log('heartbeats sent again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn(`heartbeat not written: ${(err as Error).message}; the copies others keep of this service's state grow stale`);
      this.failing = true;
    }
  }
}

interface Freshness {
  /** the instant as of which the copy holds every event of its owner; null: never vouched for */
  freshAsOf: Date | null;
  /** when this instance last worked it out */
  checkedAt: Date | null;
}

/**
 * The keeper's side: how fresh each copy of another service's state is (libs/contracts
 * GUARDED_COPIES), and a refusal for a decision that needs a copy older than COPY_MAX_AGE_SECONDS.
 *
 * A heartbeat of stream sequence S vouches for the copy once every event before S on the copy's
 * subjects is applied: the heartbeat's own durable has acknowledged up to S, and every other durable
 * feeding the copy has acknowledged past S or has nothing left to deliver. That is read from
 * JetStream every second (consumer info: ack floor, pending); the copy's fresh-as-of instant is the
 * newest heartbeat so covered (`<schema>.copy_freshness`, shared by the instances). If NATS cannot
 * be asked, nothing advances: a copy nobody can vouch for ages, and past its bound, decisions that
 * need it are refused with COPY_STALE (retryable) until it has caught up. Wall-clock time, not the
 * business clock: this is about how far behind the events are.
 */
@Injectable()
export class CopyFreshness implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CopyFreshness.name);
  private readonly state = new Map<CopyName, Freshness>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private failing = false;
  private readonly guarded: readonly GuardedCopy[];

  constructor(
    private readonly ds: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly config: AppConfig,
    @Inject(SERVICE_DEFINITION) private readonly def: ServiceDefinition,
    private readonly details: ReadinessDetails,
  ) {
    const service = identityOf(this.def);
    this.guarded = isServiceName(service) ? GUARDED_COPIES[service] : [];
    for (const g of this.guarded) this.state.set(g.copy, { freshAsOf: null, checkedAt: null });
  }

  /** Works out the copies' freshness once before the service answers anything (a CLI acts at once). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.guarded.length === 0 || this.timer) return;
    this.details.add('copies', async () => this.report());
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
    await Promise.race([this.refresh(), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Refuses (COPY_STALE) when `copy` is older than this service's bound; `field` names what the request asked about. */
  assertFresh(copy: CopyName, field: string): void {
    // From memory: called inside business transactions, it must not wait for a connection itself.
    const s = this.state.get(copy);
    if (!s) throw new Error(`${this.def.name} does not keep a copy of ${copy} (libs/contracts GUARDED_COPIES)`);
    const max = this.config.COPY_MAX_AGE_SECONDS;
    const age = s.freshAsOf ? (Date.now() - s.freshAsOf.getTime()) / 1000 : null;
    if (age !== null && age <= max) return;
    const owner = COPIES[copy].owner;
    throw new DomainError(ErrorCode.COPY_STALE, {
      field,
      message:
        age === null
          ? `${this.def.name} has no heartbeat yet from ${owner} for its copy of the ${copy}; retry once it has caught up`
          : `${this.def.name}'s copy of ${owner}'s ${copy} is ${Math.floor(age)} s old, more than the ${max} s allowed; retry once it has caught up`,
      details: { copy, owner, freshAsOf: s.freshAsOf?.toISOString() ?? null, maxAgeSeconds: max },
    });
  }

  /** Works out, from JetStream and the heartbeats applied, how fresh each copy is (every second). */
  async refresh(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.refreshOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async refreshOnce(): Promise<void> {
    try {
      const jsm = await this.nc.jetstreamManager();
      for (const g of this.guarded) {
        // The highest stream sequence below which every event feeding the copy is applied.
        let covered = Number.MAX_SAFE_INTEGER;
        for (const subject of g.subjects) {
          const info = await jsm.consumers.info(EVENT_STREAM, durableName(g.durable, subject));
          const idle = info.num_pending === 0 && info.num_ack_pending === 0;
          const floor = info.ack_floor.stream_seq;
          const vouches = subjectMatches(subject, COPIES[g.copy].heartbeat);
          // The heartbeat's own durable is covered to its ack floor; another one also when it has nothing pending.
          covered = Math.min(covered, vouches || !idle ? floor : Number.MAX_SAFE_INTEGER);
        }
        const [row] = await this.ds.query(
          `WITH beat AS (SELECT max(emitted_at) AS at, max(stream_seq) AS seq FROM "${this.def.schema}".copy_heartbeats WHERE copy = $1 AND stream_seq <= $2)
           INSERT INTO "${this.def.schema}".copy_freshness AS f (copy, fresh_as_of, heartbeat_seq, checked_at)
           SELECT $1, beat.at, beat.seq, now() FROM beat
           ON CONFLICT (copy) DO UPDATE SET fresh_as_of = GREATEST(f.fresh_as_of, EXCLUDED.fresh_as_of),
                                             heartbeat_seq = GREATEST(f.heartbeat_seq, EXCLUDED.heartbeat_seq), checked_at = now()
           RETURNING fresh_as_of, heartbeat_seq`,
          [g.copy, covered],
        );
        // Heartbeats older than the newest one covered say nothing more.
        if (row?.heartbeat_seq) {
          await this.ds.query(`DELETE FROM "${this.def.schema}".copy_heartbeats WHERE copy = $1 AND stream_seq < $2`, [g.copy, row.heartbeat_seq]);
        }
        this.state.set(g.copy, { freshAsOf: row?.fresh_as_of ? new Date(row.fresh_as_of) : null, checkedAt: new Date() });
      }
      if (this.failing) this.logger.log('copy freshness known again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn(`cannot tell how fresh the copies are: ${(err as Error).message}; they age until it can`);
      this.failing = true;
    }
    this.observe();
  }

  private observe(): void {
    const gauge = copyAgeGauge();
    for (const [copy, s] of this.state) {
      gauge.set({ service: this.def.name, copy }, s.freshAsOf ? (Date.now() - s.freshAsOf.getTime()) / 1000 : Number.POSITIVE_INFINITY);
    }
  }

  /** For readiness details: each copy, its owner, how old it is and whether decisions may use it. */
  report(): Record<string, unknown> {
    const max = this.config.COPY_MAX_AGE_SECONDS;
    return Object.fromEntries(
      [...this.state].map(([copy, s]) => {
        const age = s.freshAsOf ? Math.floor((Date.now() - s.freshAsOf.getTime()) / 1000) : null;
        return [copy, { owner: COPIES[copy].owner, freshAsOf: s.freshAsOf?.toISOString() ?? null, ageSeconds: age, maxAgeSeconds: max, fresh: age !== null && age <= max }];
      }),
    );
  }
}


function copyAgeGauge(): Gauge<'service' | 'copy'> {
  const name = 'vc_copy_age_seconds';
  return (
    (register.getSingleMetric(name) as Gauge<'service' | 'copy'> | undefined) ??
    new Gauge({ name, help: 'Age of a copy of another service\u2019s state: now minus its last heartbeat applied with every event before it (+Inf: none yet)', labelNames: ['service', 'copy'] })
  );
}

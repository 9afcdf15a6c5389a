import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { consumerSpec, EnterpriseEvent, EVENT_SUBJECT_PREFIX, EventEnvelope, Events, isUuid, ProgrammeEvent, QuotaGrantedEvent } from '@vc/contracts';
import { isEventVersion, newerVersion, queryRows, Tx } from '@vc/database';
import { parseFen } from '@vc/domain';
import { EventConsumer, EventVerifier, NATS_CONNECTION } from '@vc/messaging';

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Registry's provider events: voucher.events.provider.* */
export interface ProviderEventPayload {
  providerId: string;
  creditCode: string;
  unitName: string;
  legalName: string;
  province: string;
  kind?: string;
  status: string;
  suspended: boolean;
  programmeId?: string;
  /** Raised by the registry with every event about the provider (absent in events from before it did) */
  version?: number;
  /** The programmes the provider is excluded from as of this version */
  excludedProgrammes?: string[];
}

/**
 * Keeps what redemption needs from issuance and the registry, from their events (ADR 0003):
 * programmes and their versions with the budget credited, approved enterprises, quota grants,
 * and providers with their status, suspension and programme exclusions. One durable consumer
 * (wildcard subjects) is shared by every replica, so events may be applied out of order: each
 * effect is exactly once per event id, and each projection is written so that order does not
 * matter (grants add up; programme versions and provider versions keep the newest).
 */
@Injectable()
export class ProjectionsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProjectionsConsumer');
  private consumer: EventConsumer | null = null;

  constructor(private readonly ds: DataSource, @Inject(NATS_CONNECTION) private readonly nc: NatsConnection, private readonly verifier: EventVerifier) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.consumer) return; // hybrid apps call bootstrap hooks once per transport
    this.consumer = new EventConsumer(this.ds, this.nc, {
      schema: 'redemption',
      service: 'redemption',
      consumer: consumerSpec('redemption', 'redemption-projections'),
      verifier: this.verifier,
      handle: (event, tx) => this.handle(event, tx),
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    const type = event.type;
    const problem = this.unusable(type, (event.payload ?? {}) as Record<string, unknown>);
    if (problem) {
      // Redelivering a malformed event would block every later one of its subject: log it and move on.
      this.logger.error({ eventId: event.id, type }, `ignoring unusable event: ${problem}`);
      return;
    }
    if (type === Events.programmeOpened || type === Events.programmeVersioned || type === Events.programmeClosed) {
      return this.programme(event as unknown as EventEnvelope<ProgrammeEvent>, tx);
    }
    if (type === Events.enterpriseApproved) return this.enterprise(event.payload as unknown as EnterpriseEvent, tx);
    if (type === Events.quotaGranted) return this.quota(event as unknown as EventEnvelope<QuotaGrantedEvent>, tx);
    if (type.startsWith(`${EVENT_SUBJECT_PREFIX}.provider.`)) return this.provider(type, event.payload as unknown as ProviderEventPayload, tx);
  }

  private unusable(type: string, p: Record<string, unknown>): string | null {
    if (type.startsWith(`${EVENT_SUBJECT_PREFIX}.provider.`)) {
      if (!isUuid(p.providerId)) return 'providerId is not a uuid';
      for (const f of ['creditCode', 'unitName', 'legalName', 'province', 'status']) if (!isText(p[f])) return `${f} is missing`;
      if (!isEventVersion(p.version)) return 'version is not a positive integer';
      if (p.excludedProgrammes !== undefined && !(Array.isArray(p.excludedProgrammes) && p.excludedProgrammes.every(isText))) return 'excludedProgrammes is not a list of programmes';
      if ((p.version === undefined) !== (p.excludedProgrammes === undefined)) return 'version and excludedProgrammes come together';
    } else if (type === Events.enterpriseApproved) {
      if (!isUuid(p.enterpriseId)) return 'enterpriseId is not a uuid';
      for (const f of ['creditCode', 'name', 'province', 'regionId', 'status']) if (!isText(p[f])) return `${f} is missing`;
    } else if (type === Events.quotaGranted) {
      if (!isUuid(p.enterpriseId)) return 'enterpriseId is not a uuid';
      if (!isText(p.programmeId) || !Number.isInteger(p.year)) return 'programmeId or year is missing';
    } else if (type.startsWith(`${EVENT_SUBJECT_PREFIX}.programme.`)) {
      if (!isText(p.programmeId) || !isText(p.province) || !Number.isInteger(p.year)) return 'programmeId, province or year is missing';
      if (!Number.isInteger(p.offsetRateBp) || (p.offsetRateBp as number) <= 0 || (p.offsetRateBp as number) > 10000) return 'offsetRateBp is out of range';
      if (p.mode !== 'provider_redeems' && p.mode !== 'enterprise_reimbursed') return 'mode is unknown';
      if (!isText(p.effectiveFrom) || Number.isNaN(Date.parse(p.effectiveFrom))) return 'effectiveFrom is not an instant';
    }
    return null;
  }

  private async programme(event: EventEnvelope<ProgrammeEvent>, tx: Tx): Promise<void> {
    const p = event.payload;
    const budget = parseFen(p.budgetFen);
    const cap = parseFen(p.annualCapFen);
    if (!p.programmeId || budget === null || cap === null || !Number.isInteger(p.version)) {
      this.logger.error({ eventId: event.id }, `ignoring malformed ${event.type}`);
      return;
    }
    const status = event.type === Events.programmeClosed || p.status === 'closed' ? 'closed' : 'open';
    await tx.query(
      `INSERT INTO redemption.programmes (id, province, year, status, current_version) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET status = CASE WHEN redemption.programmes.status = 'closed' THEN 'closed' ELSE EXCLUDED.status END,
                                      current_version = GREATEST(redemption.programmes.current_version, EXCLUDED.current_version),
                                      updated_at = now()`,
      [p.programmeId, p.province, p.year, status, p.version],
    );
    await tx.query(
      `INSERT INTO redemption.programme_versions (programme_id, version, offset_rate_bp, mode, annual_cap_fen, budget_fen, effective_from)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [p.programmeId, p.version, p.offsetRateBp, p.mode, cap.toString(), budget.toString(), p.effectiveFrom],
    );
    // The event carries the programme's total budget; the increase over what was credited is new money.
    await tx.query(`SELECT redemption.credit_budget($1, $2, $3)`, [p.programmeId, budget.toString(), `${event.type} v${p.version} (${event.id})`]);
  }

  private async enterprise(e: EnterpriseEvent, tx: Tx): Promise<void> {
    await tx.query(
      `INSERT INTO redemption.enterprises (id, credit_code, name, province, region_id, status) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET credit_code = EXCLUDED.credit_code, name = EXCLUDED.name, province = EXCLUDED.province,
                                      region_id = EXCLUDED.region_id, status = EXCLUDED.status, updated_at = now()`,
      [e.enterpriseId, e.creditCode, e.name, e.province, e.regionId, e.status],
    );
  }

  private async quota(event: EventEnvelope<QuotaGrantedEvent>, tx: Tx): Promise<void> {
    const g = event.payload;
    const amount = parseFen(g.amountFen);
    if (amount === null || amount <= 0n) {
      this.logger.error({ eventId: event.id }, 'ignoring a quota grant without a positive amount');
      return;
    }
    await tx.query(
      `INSERT INTO redemption.quota_balance AS q (enterprise_id, programme_id, year, granted_fen, left_fen) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (enterprise_id, programme_id) DO UPDATE SET granted_fen = q.granted_fen + EXCLUDED.granted_fen, left_fen = q.left_fen + EXCLUDED.left_fen`,
      [g.enterpriseId, g.programmeId, g.year, amount.toString()],
    );
    await tx.query(
      `INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, amount_fen, ref) VALUES ('quota_granted', $1, $2, $3, $4)`,
      [g.programmeId, g.enterpriseId, amount.toString(), g.claimId],
    );
  }

  /**
   * R-REG-2..4: a provider event carries the provider's whole state at its version (status,
   * suspension, the programmes it is excluded from); the newest version wins, and an older event
   * that arrives late (another replica, a redelivery after a failure) changes nothing, so it
   * cannot undo a suspension or a revocation. Events from before the registry versioned them
   * (no version) apply as they did, by their type, while no versioned event has.
   */
  private async provider(type: string, p: ProviderEventPayload, tx: Tx): Promise<void> {
    const applied = await queryRows(
      tx,
      `INSERT INTO redemption.providers (id, credit_code, unit_name, legal_name, province, kind, status, suspended, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET credit_code = EXCLUDED.credit_code, unit_name = EXCLUDED.unit_name, legal_name = EXCLUDED.legal_name,
              province = EXCLUDED.province, kind = EXCLUDED.kind, status = EXCLUDED.status, suspended = EXCLUDED.suspended,
              version = EXCLUDED.version, updated_at = now()
        WHERE ${newerVersion('redemption.providers')}
       RETURNING 1`,
      [p.providerId, p.creditCode, p.unitName, p.legalName, p.province, p.kind ?? null, p.status, p.suspended === true, p.version ?? 0],
    );
    if (applied.length === 0) {
      this.logger.log({ providerId: p.providerId, version: p.version ?? 0, type }, 'provider event older than the state held: nothing to apply');
      return;
    }
    if (p.excludedProgrammes) {
      await tx.query(`DELETE FROM redemption.provider_exclusions WHERE provider_id = $1 AND programme_id <> ALL ($2::text[])`, [p.providerId, p.excludedProgrammes]);
      await tx.query(
        `INSERT INTO redemption.provider_exclusions (provider_id, programme_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
        [p.providerId, p.excludedProgrammes],
      );
    } else if (type === Events.providerExcluded && p.programmeId) {
      await tx.query(`INSERT INTO redemption.provider_exclusions (provider_id, programme_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [p.providerId, p.programmeId]);
    } else if (type === Events.providerExclusionLifted && p.programmeId) {
      await tx.query(`DELETE FROM redemption.provider_exclusions WHERE provider_id = $1 AND programme_id = $2`, [p.providerId, p.programmeId]);
    }
  }
}

import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Principal, QuotaLapseView, Role } from '@vc/contracts';
import { shanghaiYear } from '@vc/domain';
import { Clock, UnitOfWork } from '@vc/platform';
import { LapseQuotaUseCase } from '../use-cases/lapse-quota.use-case';

const SERVICE: Principal = { sub: 'redemption-quota-lapse', role: Role.Service, org: 'redemption' };

/**
 * R-QUOTA-2: a year's unused quota lapses when the year ends, whether or not an operator runs the
 * lapse: on a timer the service lapses every balance of an ended year that still has quota left
 * (the same use case, idempotent by state; instances running it at once lapse each balance once).
 */
@Injectable()
export class QuotaLapseJob implements OnApplicationBootstrap, OnApplicationShutdown {
  static intervalMs = Number(process.env.REDEMPTION_QUOTA_LAPSE_MS ?? 10 * 60_000);
  private timer: NodeJS.Timeout | null = null;
  private readonly logger = new Logger('QuotaLapseJob');

  constructor(private readonly lapse: LapseQuotaUseCase, private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  onApplicationBootstrap(): void {
    if (!(QuotaLapseJob.intervalMs > 0)) return;
    this.timer = setInterval(() => {
      this.tick().catch((err) => this.logger.warn(`quota lapse failed: ${(err as Error).message}`));
    }, QuotaLapseJob.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Lapses what is left of every ended year; returns what each year's lapse did (nothing when none is left). */
  async tick(): Promise<QuotaLapseView[]> {
    const lastEnded = shanghaiYear(this.clock.now()) - 1;
    const years = await this.uow.query<{ year: number }>(
      `SELECT DISTINCT year FROM redemption.quota_balance WHERE year <= $1 AND left_fen > 0 ORDER BY year`,
      [lastEnded],
    );
    const views: QuotaLapseView[] = [];
    for (const { year } of years) views.push(await this.lapse.execute(SERVICE, { year }, `scheduled-lapse:${year}:${this.clock.now().toISOString()}`));
    return views;
  }
}

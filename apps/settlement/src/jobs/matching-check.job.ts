import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Principal, Role } from '@vc/contracts';
import { MatchingUseCase } from '../use-cases/matching.use-case';

const SERVICE: Principal = { sub: 'settlement-matching-check', role: Role.Service, org: 'settlement' };

/**
 * R-MATCH-1: a deadline passes without anyone asking, so the service re-checks overdue matching on a
 * timer (flags and events only on a change; several instances running it at once agree).
 */
@Injectable()
export class MatchingCheckJob implements OnApplicationBootstrap, OnApplicationShutdown {
  static intervalMs = Number(process.env.SETTLEMENT_MATCHING_CHECK_MS ?? 10 * 60_000);
  private timer: NodeJS.Timeout | null = null;
  private readonly logger = new Logger('MatchingCheckJob');

  constructor(private readonly matching: MatchingUseCase) {}

  onApplicationBootstrap(): void {
    if (!(MatchingCheckJob.intervalMs > 0)) return;
    this.timer = setInterval(() => {
      this.matching.check(SERVICE, { note: 'scheduled' }).catch((err) => this.logger.warn(`matching check failed: ${(err as Error).message}`));
    }, MatchingCheckJob.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

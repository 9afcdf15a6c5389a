import { Controller, Get, Inject, Injectable } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { Public } from '@vc/auth';
import { NATS_CONNECTION } from '@vc/messaging';
import { ensureDefaultMetrics, metricsText } from './metrics';
import { ReadinessDetails } from './readiness';

/** `promise`, or a rejection with `message` after `ms` (a readiness probe must answer, not hang). */
export function withinMs<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How long a readiness check waits for PostgreSQL or NATS. */
const READY_PROBE_MS = 2000;

@Injectable()
export class DependencyHealth {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly ds: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {}

  async database() {
    const check = this.indicator.check('postgres');
    try {
      await withinMs(this.ds.query('SELECT 1'), READY_PROBE_MS, 'no reply from PostgreSQL');
      return check.up();
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  async nats() {
    const check = this.indicator.check('nats');
    try {
      if (this.nc.isClosed()) return check.down({ message: 'connection closed' });
      await withinMs(this.nc.flush(), READY_PROBE_MS, 'no reply from NATS');
      return check.up({ server: this.nc.getServer() });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  /** A detail a service adds (ReadinessDetails): reported as up, with its content or why it could not be read. */
  async detail(name: string, read: () => Promise<Record<string, unknown>>) {
    const check = this.indicator.check(name);
    try {
      return check.up(await withinMs(read(), READY_PROBE_MS, `no answer for ${name}`));
    } catch (err) {
      return check.up({ unreadable: (err as Error).message });
    }
  }
}

/** Liveness, readiness (PostgreSQL and NATS reachable, plus the details a service adds) and Prometheus metrics of every service. */
@Controller()
export class HealthController {
  constructor(private readonly health: HealthCheckService, private readonly deps: DependencyHealth, private readonly details: ReadinessDetails) {
    ensureDefaultMetrics();
  }

  @Public()
  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Public()
  @Get(['health', 'health/ready'])
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.deps.database(),
      () => this.deps.nats(),
      ...this.details.entries().map(([name, read]) => () => this.deps.detail(name, read)),
    ]);
  }

  @Public()
  @Get('metrics')
  async metrics(): Promise<string> {
    return metricsText();
  }
}

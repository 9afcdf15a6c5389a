import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { NatsConnection } from 'nats';
import { Public } from '@vc/auth';
import { NATS_CONNECTION } from '@vc/messaging';
import { ensureDefaultMetrics, metricsText, withinMs } from '@vc/platform';

/**
 * Liveness says the process lives and serves HTTP; it depends on nothing else, so that an outage
 * of NATS longer than a probe's budget does not get every gateway restarted (which cures nothing).
 * Readiness says whether the gateway can forward requests: NATS answers a flush.
 */
@Controller()
export class GatewayHealthController {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {
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
      async () => {
        const check = this.indicator.check('nats');
        try {
          if (this.nc.isClosed()) return check.down({ message: 'connection closed' });
          await withinMs(this.nc.flush(), READY_PROBE_MS, 'no reply from NATS');
          return check.up({ server: this.nc.getServer() });
        } catch (err) {
          return check.down({ message: (err as Error).message });
        }
      },
    ]);
  }

  @Public()
  @Get('metrics')
  metrics() {
    return metricsText();
  }
}

/** A readiness answer within a probe's usual budget (a flush waits for a reconnect otherwise). */
const READY_PROBE_MS = 2000;

import { Controller, Get, Inject } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { NatsConnection } from 'nats';
import { Public } from '@vc/auth';
import { NATS_CONNECTION } from '@vc/messaging';
import { withinMs } from '@vc/platform';
import { ApiOp } from './http/api-operation';

export class LivenessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

const INDICATORS = { type: 'object' as const, additionalProperties: { type: 'object', properties: { status: { type: 'string', enum: ['up', 'down'] } }, required: ['status'], additionalProperties: true } };

/** A readiness answer: each dependency checked (a not-ready gateway answers 503 UNAVAILABLE with this in `details`). */
export class ReadinessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ ...INDICATORS, description: 'the dependencies that are up, e.g. { "nats": { "status": "up", "server": "127.0.0.1:14222" } }' }) info: Record<string, unknown>;
  @ApiProperty({ ...INDICATORS, description: 'the dependencies that are down' }) error: Record<string, unknown>;
  @ApiProperty({ ...INDICATORS, description: 'every dependency checked' }) details: Record<string, unknown>;
}

/**
 * Liveness says the process lives and serves HTTP; it depends on nothing else, so that an outage
 * of NATS longer than a probe's budget does not get every gateway restarted (which cures nothing).
 * Readiness says whether the gateway can forward requests: NATS answers a flush.
 */
@ApiTags('operations')
@Controller()
export class GatewayHealthController {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  @Public()
  @Get('health/live')
  @ApiOp({ id: 'healthLive', auth: 'optional', summary: 'Liveness probe: the process serves HTTP', reply: LivenessView })
  live() {
    return { status: 'ok' };
  }

  @Public()
  @Get('health/ready')
  @ApiOp({ id: 'healthReady', auth: 'optional', summary: 'Readiness probe: the gateway reaches NATS (503 UNAVAILABLE when not)', reply: ReadinessView })
  // documented by ApiOp: a gateway that is not ready answers the error body of the filter (503 UNAVAILABLE), not the health check's own
  @HealthCheck({ swaggerDocumentation: false })
  ready() {
    return this.readiness();
  }

  @Public()
  @Get('health')
  @ApiOp({ id: 'health', auth: 'optional', summary: 'The gateway is ready: it reaches NATS (as /health/ready)', reply: ReadinessView })
  @HealthCheck({ swaggerDocumentation: false })
  healthCheck() {
    return this.readiness();
  }

  private readiness() {
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
}

/** A readiness answer within a probe's usual budget (a flush waits for a reconnect otherwise). */
const READY_PROBE_MS = 2000;

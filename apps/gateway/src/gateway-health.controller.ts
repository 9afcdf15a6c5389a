import { Controller, Get, Inject } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { Public } from '@vc/auth';
import { NATS_CONNECTION } from '@vc/messaging';
import { ensureDefaultMetrics, metricsText } from '@vc/platform';

@Controller()
export class GatewayHealthController {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {
    ensureDefaultMetrics();
  }

  @Public()
  @Get(['health', 'health/live', 'health/ready'])
  async health() {
    await this.nc.flush();
    return { status: 'ok', nats: this.nc.getServer() };
  }

  @Public()
  @Get('metrics')
  metrics() {
    return metricsText();
  }
}

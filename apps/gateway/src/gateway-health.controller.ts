import { Controller, Get, Inject } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from '@vc/auth';
import { NATS_CONNECTION } from '@vc/messaging';

let metricsStarted = false;

@Controller()
export class GatewayHealthController {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {
    if (!metricsStarted) {
      collectDefaultMetrics();
      metricsStarted = true;
    }
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
    return register.metrics();
  }
}

import { createServer, Server } from 'node:http';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@vc/config';
import { ensureDefaultMetrics, metricsText } from '@vc/platform';

/**
 * The gateway's Prometheus metrics, on an internal port of their own (METRICS_PORT, bound to
 * BIND_ADDRESS), never on the public HTTP port: the process's figures (memory, event-loop lag,
 * handles) are for the operators' monitoring, not for anyone on the internet (issue 29). Without
 * METRICS_PORT the gateway serves no metrics at all.
 */
@Injectable()
export class GatewayMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;
  private readonly logger = new Logger('GatewayMetrics');

  constructor(private readonly config: AppConfig) {}

  /** The port it listens on (METRICS_PORT, or the one chosen for port 0 in tests); null when off. */
  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.METRICS_PORT === undefined) return;
    ensureDefaultMetrics();
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      metricsText().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.config.METRICS_PORT, this.config.BIND_ADDRESS, resolve));
    this.server = server;
    this.logger.log(`metrics on ${this.config.BIND_ADDRESS}:${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

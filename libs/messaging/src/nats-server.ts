import { ServerNats } from '@nestjs/microservices';
import { MsgHdrs } from 'nats';
import { Headers } from '@vc/contracts';
import { withCorrelationId } from '@vc/logging';
import { traceNatsHandler } from '@vc/telemetry';

/** A NATS header by its canonical name or in lower case (clients differ). */
export function natsHeader(headers: MsgHdrs | undefined, name: string): string | undefined {
  return headers?.get(name) || headers?.get(name.toLowerCase()) || undefined;
}

/**
 * Nest's NATS transport with two per-request costs taken out (bench profile of redemption):
 * - the caller's correlation id is set around the whole handling of the message here, instead of
 *   by a global interceptor; with any interceptor Nest wraps each request in rxjs `defer` and two
 *   `AsyncResource.bind` calls, and Node 20 builds two deprecation wrappers for every bind;
 * - our patterns are plain subjects, so the route is the subject itself: Nest's default first
 *   tries `JSON.parse` on it, which throws for every request.
 * With tracing on (libs/telemetry), each request is handled under a span that continues the trace
 * context its headers carry.
 */
export class VoucherNatsServer extends ServerNats {
  override async handleMessage(channel: string, natsMsg: { headers?: MsgHdrs }): Promise<unknown> {
    // the handling continues the caller's trace (W3C trace context in the headers) when tracing is on
    return withCorrelationId(natsHeader(natsMsg.headers, Headers.CorrelationId), () =>
      traceNatsHandler(channel, natsMsg.headers, () => super.handleMessage(channel, natsMsg as never)),
    );
  }

  protected override getRouteFromPattern(pattern: string): string {
    return pattern.startsWith('{') ? super.getRouteFromPattern(pattern) : this.normalizePattern(pattern);
  }
}

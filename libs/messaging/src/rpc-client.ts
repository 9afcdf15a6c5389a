import { Inject, Injectable } from '@nestjs/common';
import { headers as natsHeaders, NatsConnection, NatsError } from 'nats';
import { AppConfig } from '@vc/config';
import { Headers, toJson } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { currentCorrelationId } from '@vc/logging';
import { traceNatsRequest } from '@vc/telemetry';
import { decodeReply } from './rpc-wire';
import { NATS_CONNECTION } from './tokens';

export interface RpcCallOptions {
  /** the bearer token of the principal on whose behalf the call is made */
  token?: string;
  idempotencyKey?: string;
  timeoutMs?: number;
  /** the address of the HTTP client, as the gateway sees it (the publicity desk caps objections per address) */
  clientAddress?: string;
}

const encoder = new TextEncoder();

/** Request-reply over NATS in the system's wire format; a refusal comes back as a DomainError. */
@Injectable()
export class RpcClient {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection, private readonly config: AppConfig) {}

  async request<T = unknown>(subject: string, body: unknown, options: RpcCallOptions = {}): Promise<T> {
    const h = natsHeaders();
    if (options.token) h.set(Headers.Authorization, `Bearer ${options.token}`);
    if (options.idempotencyKey) h.set(Headers.IdempotencyKey, options.idempotencyKey);
    const correlationId = currentCorrelationId();
    if (correlationId) h.set(Headers.CorrelationId, correlationId);
    if (options.clientAddress) h.set(Headers.ClientAddress, options.clientAddress);
    let msg;
    try {
      // under a span carrying its trace context in the headers, when tracing is on (libs/telemetry)
      msg = await traceNatsRequest(subject, h, () =>
        this.nc.request(subject, encoder.encode(toJson(body ?? {})), {
          timeout: options.timeoutMs ?? this.config.RPC_TIMEOUT_MS,
          headers: h,
        }),
      );
    } catch (err) {
      const code = (err as NatsError).code;
      throw new DomainError(ErrorCode.UNAVAILABLE, { message: `no reply from ${subject.split('.')[0]} (${code ?? 'error'})` });
    }
    const reply = decodeReply<T>(msg.data);
    if (!reply.ok) throw DomainError.fromBody(reply.error);
    return reply.data;
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Msg, NatsConnection, Subscription } from 'nats';
import { TokenService } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { clockSetSubject, Headers, jsonNestsDeeperThan, Role, SetClockDto, toJson, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { NATS_CONNECTION } from '@vc/messaging';
import { SERVICE_DEFINITION, ServiceDefinition } from './service-definition';
import { identityOf } from './service-keys';

/**
 * The business clock. Every rule that depends on 'now' (quota years, quarters, publicity windows,
 * matching deadlines) reads it here, never `new Date()` directly, so that tests and the demo can
 * run on a simulated time line. In production it is the system clock.
 */
@Injectable()
export class Clock implements OnApplicationBootstrap, OnApplicationShutdown {
  private offsetMs = 0;
  private subscription: Subscription | null = null;
  private readonly logger = new Logger('Clock');

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: TokenService,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SERVICE_DEFINITION) private readonly def: ServiceDefinition,
  ) {
    if (config.CLOCK_MODE === 'simulated' && config.SIMULATED_NOW) this.set(new Date(config.SIMULATED_NOW));
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get simulated(): boolean {
    return this.config.CLOCK_MODE === 'simulated';
  }

  /** Moves a simulated clock; it keeps running from the new instant. */
  set(instant: Date): void {
    if (!this.simulated) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'the clock is the system clock' });
    this.offsetMs = instant.getTime() - Date.now();
  }

  onApplicationBootstrap(): void {
    if (!this.simulated) return;
    // No queue group: every instance of the service moves its clock.
    this.subscription = this.nc.subscribe(clockSetSubject(identityOf(this.def)), {
      callback: (err, msg) => {
        if (err) return;
        void this.answer(msg);
      },
    });
  }

  private async answer(msg: Msg): Promise<void> {
    let reply: unknown;
    try {
      const principal = await this.tokens.verifyHeader(msg.headers?.get(Headers.Authorization));
      if (principal.role !== Role.DeltaOperator && principal.role !== Role.Service) throw new DomainError(ErrorCode.FORBIDDEN);
      const text = new TextDecoder().decode(msg.data);
      if (jsonNestsDeeperThan(text)) throw new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body nests too deep' });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body is not valid JSON' });
      }
      const { now } = validateDto(SetClockDto, body);
      if (Number.isNaN(Date.parse(now))) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'now', message: 'now must be an ISO 8601 instant' });
      this.set(new Date(now));
      this.logger.warn(`simulated clock set to ${this.now().toISOString()}`);
      reply = { ok: true, data: { now: this.now().toISOString() } };
    } catch (e) {
      reply = { ok: false, error: (e instanceof DomainError ? e : new DomainError(ErrorCode.MALFORMED_REQUEST)).toBody() };
    }
    msg.respond(new TextEncoder().encode(toJson(reply)));
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}

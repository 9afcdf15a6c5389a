import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { DomainError, toDomainError } from '@vc/errors';

/** Every failure of a NATS handler becomes the one error body (a database out of reach: UNAVAILABLE); nothing internal leaks. */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (exception instanceof DomainError) return throwError(() => exception.toBody());
    const error = toDomainError(exception);
    const subject = host.switchToRpc().getContext()?.getSubject?.();
    if (error.code === 'UNAVAILABLE') this.logger.warn(`database unavailable in NATS handler ${subject}: ${(exception as Error).message}`);
    else this.logger.error({ err: exception, subject }, 'unhandled error in NATS handler');
    return throwError(() => error.toBody());
  }
}

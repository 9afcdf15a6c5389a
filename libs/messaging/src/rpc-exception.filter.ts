import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { DomainError, ErrorCode } from '@vc/errors';

/** Every failure of a NATS handler becomes the one error body; nothing internal leaks. */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (exception instanceof DomainError) return throwError(() => exception.toBody());
    this.logger.error({ err: exception, subject: host.switchToRpc().getContext()?.getSubject?.() }, 'unhandled error in NATS handler');
    return throwError(() => new DomainError(ErrorCode.INTERNAL).toBody());
  }
}

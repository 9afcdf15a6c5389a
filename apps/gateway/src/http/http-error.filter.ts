import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { DomainError, ErrorCode, toDomainError } from '@vc/errors';

/** Every HTTP error is `{ code, message, field? }` with the status from the one error table. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = this.toDomainError(exception);
    reply.status(error.httpStatus).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(error.toBody()));
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof ThrottlerException) return new DomainError(ErrorCode.RATE_LIMITED, { message: 'too many requests; slow down' });
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return new DomainError(ErrorCode.NOT_FOUND, { message: 'no such route' });
      if (status === 413) return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, { message: 'request body too large' });
      if (status === 400) return new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body is not valid JSON' });
      if (status === 401) return new DomainError(ErrorCode.UNAUTHENTICATED);
      if (status === 403) return new DomainError(ErrorCode.FORBIDDEN);
      // a readiness check that found a dependency down (terminus): what is down goes in the details
      if (status === 503) return new DomainError(ErrorCode.UNAVAILABLE, { message: 'not ready', details: exception.getResponse() as Record<string, unknown> });
    }
    const fastifyError = exception as { statusCode?: number; code?: string };
    if (fastifyError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, { message: 'request body too large' });
    if (fastifyError?.statusCode === 400 || fastifyError?.code?.startsWith('FST_ERR_CTP')) {
      return new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body is not valid JSON' });
    }
    if (fastifyError?.statusCode === 415) return new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'content-type must be application/json' });
    const error = toDomainError(exception);
    if (error.code === ErrorCode.UNAVAILABLE) this.logger.warn(`unavailable in HTTP handler: ${(exception as Error).message}`);
    else this.logger.error({ err: exception }, 'unhandled error in HTTP handler');
    return error;
  }
}

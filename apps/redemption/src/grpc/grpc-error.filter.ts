import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Metadata, StatusObject } from '@grpc/grpc-js';
import { Observable, throwError } from 'rxjs';
import { toJson } from '@vc/contracts';
import { DomainError, toDomainError } from '@vc/errors';

/** A DomainError as a gRPC status: code from the error table, the JSON error body as details, code and field as metadata. */
export function toGrpcStatus(error: DomainError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set('error-code', error.code);
  if (error.field) metadata.set('error-field', error.field);
  return { code: error.grpcStatus, details: toJson(error.toBody()), metadata };
}

/** Every failure of a gRPC handler becomes a status from the one error table (a database out of reach: UNAVAILABLE); nothing internal leaks (R-ERR-1). */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('GrpcErrorFilter');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof DomainError) return throwError(() => toGrpcStatus(exception));
    const error = toDomainError(exception);
    if (error.code === 'UNAVAILABLE') this.logger.warn(`database unavailable in gRPC handler: ${(exception as Error).message}`);
    else this.logger.error({ err: exception }, 'unhandled error in gRPC handler');
    return throwError(() => toGrpcStatus(error));
  }
}

import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Metadata, StatusObject } from '@grpc/grpc-js';
import { join } from 'node:path';
import { loadSync, Type } from 'protobufjs';
import { Observable, throwError } from 'rxjs';
import { toJson, VOUCHER_REDEMPTION_PACKAGE, VOUCHER_REDEMPTION_PROTO } from '@vc/contracts';
import { DomainError, toDomainError } from '@vc/errors';

/** google.rpc.Status and its details (libs/contracts/src/proto/google/rpc), for the standard trailer. */
const RPC = loadSync([join(VOUCHER_REDEMPTION_PROTO, '..', 'google', 'rpc', 'status.proto'), join(VOUCHER_REDEMPTION_PROTO, '..', 'google', 'rpc', 'error_details.proto')]);
const STATUS = RPC.lookupType('google.rpc.Status');
const ERROR_INFO = RPC.lookupType('google.rpc.ErrorInfo');
const BAD_REQUEST = RPC.lookupType('google.rpc.BadRequest');

const any = (type: Type, value: object) => ({ type_url: `type.googleapis.com/${type.fullName.slice(1)}`, value: type.encode(type.create(value)).finish() });

/** The facts of a refusal as ErrorInfo metadata: text values, others as JSON. */
function factsOf(error: DomainError): Record<string, string> {
  const facts: Record<string, string> = {};
  if (error.field) facts.field = error.field;
  for (const [k, v] of Object.entries(error.details ?? {})) facts[k] = typeof v === 'string' ? v : toJson(v);
  return facts;
}

/**
 * The standard rich error model (`grpc-status-details-bin`): a google.rpc.Status with an ErrorInfo
 * naming the code, and a BadRequest naming the refused field.
 */
export function statusDetails(error: DomainError): Buffer {
  const details = [any(ERROR_INFO, { reason: error.code, domain: VOUCHER_REDEMPTION_PACKAGE, metadata: factsOf(error) })];
  if (error.field) details.push(any(BAD_REQUEST, { fieldViolations: [{ field: error.field, description: error.message }] }));
  return Buffer.from(STATUS.encode(STATUS.create({ code: error.grpcStatus, message: error.message, details })).finish());
}

/**
 * A DomainError as a gRPC status: code from the error table, the JSON error body as the status
 * message, code and field as metadata, and the standard google.rpc.Status details trailer.
 */
export function toGrpcStatus(error: DomainError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set('error-code', error.code);
  if (error.field) metadata.set('error-field', error.field);
  metadata.set('grpc-status-details-bin', statusDetails(error));
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

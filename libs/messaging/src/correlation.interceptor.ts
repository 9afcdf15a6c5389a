import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { NatsContext } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { withCorrelationId } from '@vc/logging';
import { correlationIdOf } from './rpc-context';

/** Carries the caller's correlation id through the handler and into its outgoing requests and logs. */
@Injectable()
export class RpcCorrelationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const id = correlationIdOf(context.switchToRpc().getContext<NatsContext>());
    return new Observable((subscriber) => withCorrelationId(id, () => next.handle().subscribe(subscriber)));
  }
}

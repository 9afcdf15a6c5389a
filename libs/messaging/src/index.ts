export * from './tokens';
export * from './rpc-wire';
export * from './rpc-context';
export * from './rpc-exception.filter';
export * from './correlation.interceptor';
export * from './nats.module';
export * from './rpc-client';
export * from './outbox-relay';
export * from './event-consumer';


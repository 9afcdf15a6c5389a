export * from './tokens';
export * from './rpc-wire';
export * from './rpc-context';
export * from './rpc-exception.filter';
export * from './nats-server';
export * from './nats.module';
export * from './rpc-client';
export * from './outbox-relay';
export * from './event-consumer';
export * from './event-signing';

export * from './nats-accounts';

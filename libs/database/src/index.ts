export * from './data-source';
export * from './common-tables';
export * from './outbox';
export * from './audit';
export * from './idempotency';
export * from './versions';
export * from './transaction-retry';

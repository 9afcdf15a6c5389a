export * from './infra';
export * from './clients';
export * from './system';
export * from './postgres';
export * from './secrets';
export * from './relay';
export * from './copies';

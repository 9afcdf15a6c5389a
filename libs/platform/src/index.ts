export * from './service-definition';
export * from './database.provider';
export * from './health';
export * from './service-core.module';
export * from './bootstrap';
export * from './unit-of-work';
export * from './metrics';
export * from './clock';

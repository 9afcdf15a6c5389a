export * from './principal';
export * from './subjects';
export * from './validation';
export * from './registry.dto';
export * from './events';

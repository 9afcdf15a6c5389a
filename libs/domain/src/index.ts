export * from './money';
export * from './rate';
export * from './credit-code';
export * from './time';
export * from './calendar';
export * from './allocation';
export * from './sampling';
export * from './invoice';

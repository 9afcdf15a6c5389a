// DTO classes use decorator metadata; load the polyfill for every consumer of the contracts.
import 'reflect-metadata';
export * from './principal';
export * from './subjects';
export * from './validation';
export * from './registry.dto';
export * from './bus';
export * from './bus.dto';
export * from './event-validation';
export * from './events';
export * from './issuance.dto';
export * from './redemption.dto';
export * from './settlement.dto';
export * from './calendar.dto';
export * from './api-docs';
export * from './request-schemas';
export * from './nats-contracts';
export * from './bank.dto';
export * from './readiness.dto';

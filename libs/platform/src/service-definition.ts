import { Type } from '@nestjs/common';

export const SERVICE_DEFINITION = Symbol('SERVICE_DEFINITION');

export interface ServiceDefinition {
  /** service name: queue group, log field, NATS client name */
  name: string;
  /** the service it acts as, when not its name (the settle CLI acts as settlement: its NATS user and keys) */
  identity?: string;
  /** PostgreSQL schema the service owns */
  schema: string;
  migrations: Function[];
  /** the feature module with the service's controllers and use cases */
  feature: Type<unknown>;
}

export enum Role {
  Enterprise = 'enterprise',
  Provider = 'provider',
  RegionAdmin = 'region_admin',
  ProgrammeOperator = 'programme_operator',
  DeltaOperator = 'delta_operator',
  Auditor = 'auditor',
  /** another service of this system acting on its own behalf (outbox consumers, batch jobs) */
  Service = 'service',
}

export const PROVINCES = ['SH', 'JS', 'ZJ', 'AH'] as const;
export type Province = (typeof PROVINCES)[number];
export type ProviderProvince = Province | 'OTHER';

/**
 * The one authenticated actor of a request (SPEC 2). `org` is the organisation it belongs to:
 * enterprise id, provider unit id, region id, the province code of a programme operator,
 * 'DELTA' for the delta desk, 'AUDIT' for auditors, the service name for services.
 */
export interface Principal {
  sub: string;
  role: Role;
  org: string;
  /** province of the organisation where it has one (operators, region admins, enterprises) */
  province?: Province;
}

/** Header names shared by NATS and HTTP. */
export const Headers = {
  Authorization: 'Authorization',
  IdempotencyKey: 'Idempotency-Key',
  CorrelationId: 'X-Correlation-Id',
} as const;

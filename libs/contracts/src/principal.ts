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

/** The four provincial programmes of the delta (SPEC 1): the one list every contract names. */
export const PROVINCES = ['SH', 'JS', 'ZJ', 'AH'] as const;
export type Province = (typeof PROVINCES)[number];
/** Where a provider is registered: a province of the delta, or outside it. */
export const PROVIDER_PROVINCES = [...PROVINCES, 'OTHER'] as const;
export type ProviderProvince = (typeof PROVIDER_PROVINCES)[number];

/** One programme per province and year: 'JS-2026'. */
export const PROGRAMME_ID_PATTERN = new RegExp(`^(${PROVINCES.join('|')})-\\d{4}$`);

/**
 * The one authenticated actor of a request (SPEC 2). `org` is the organisation it belongs to:
 * - enterprise: its id (uuid), or its unified social credit code (the account that registers it);
 * - provider: a unit's id (uuid, that unit's system), or the legal entity's credit code (acting
 *   for every unit of the entity);
 * - region_admin: the region's id (uuid); programme_operator: its province code, equal to
 *   `province`; delta_operator: 'DELTA'; auditor: 'AUDIT'; service: the service's name.
 * README.md "Calling the system" has the table of what each role may do with it.
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
  /**
   * The HTTP client's address, set by the gateway on what it forwards. Only the gateway's NATS user
   * may send the public subjects that read it (the bus permissions), so it is as trustworthy as the
   * gateway's view of the client (docs/security.md).
   */
  ClientAddress: 'X-Client-Address',
} as const;

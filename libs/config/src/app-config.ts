import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * Every setting of every service, read from the environment and validated at boot: a service
 * with a bad setting refuses to start and says which variable is wrong.
 */
export class AppConfig {
  /**
   * Fail closed: without an explicit setting the system runs as production (no development keys,
   * no dev sign-in, no test switches). The local scripts and the tests set development / test.
   */
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'production';

  /**
   * The directory of this process's secrets (NATS password, its service signing key, the trusted
   * service keys, the identity providers' public keys, gRPC TLS material); layout in
   * libs/auth/src/keys.ts (SecretFiles). Required: without it nothing can be verified.
   */
  @IsOptional()
  @IsString()
  SECRETS_DIR?: string;

  /**
   * The proxies in front of the gateway whose X-Forwarded-For it believes (comma-separated
   * addresses or CIDR ranges, e.g. an ingress controller's pod range). Empty: none, and the client's
   * address is the connection's. The per-address caps (objections, anonymous rate limits) count by
   * that address, so behind a proxy this must name it, or every client counts as the proxy.
   */
  @IsOptional()
  @IsString()
  TRUSTED_PROXIES = '';

  /**
   * The gateway's internal port for Prometheus metrics (GET /metrics), apart from its public HTTP
   * port, which serves none. Unset: the gateway serves no metrics. (The services serve theirs on
   * their HTTP port, which is internal.)
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  /** Address the HTTP and gRPC listeners bind to: loopback unless a deployment opens it. */
  @IsString()
  @MinLength(1)
  BIND_ADDRESS = '127.0.0.1';

  @IsString()
  DATABASE_URL = 'postgres://postgres@127.0.0.1:15432/voucher';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /** How long a request waits for a PostgreSQL connection (a new one, or a free one of a full pool). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DB_CONNECT_TIMEOUT_MS = 5000;

  /**
   * PostgreSQL cancels a statement of a request that runs longer (0 = never). A settlement run's
   * set-wise steps and the migrations lift it for their own transactions.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  DB_STATEMENT_TIMEOUT_MS = 30000;

  @IsString()
  NATS_URL = 'nats://127.0.0.1:14222';

  /** NATS user; a service connects as its own name unless set (the gateway as `gateway`). */
  @IsOptional()
  @IsString()
  NATS_USER?: string;

  /** NATS password; read from SECRETS_DIR/nats/<user>.password unless set. */
  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  /** Lifetime of the tokens the development sign-in issues. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  JWT_TTL_SECONDS = 8 * 3600;

  /**
   * The longest a principal token may live: one whose expiry lies further ahead, or whose expiry is
   * further than this from its issue time, is refused (a token expiring in 2100 is not a session).
   */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  JWT_MAX_TTL_SECONDS = 12 * 3600;

  /**
   * The gateway's development sign-in (`POST /v1/auth/dev-login`, signed with the development
   * identity provider's key): off unless set to true, answers loopback callers only, and is refused
   * in production.
   */
  @IsIn(['true', 'false'])
  DEV_SIGN_IN: 'true' | 'false' = 'false';

  /**
   * gRPC without TLS (bearer tokens only): refused in production, and only when asked for; without
   * it a gRPC port needs TLS material (GRPC_TLS_DIR, or SECRETS_DIR/grpc).
   */
  @IsIn(['true', 'false'])
  GRPC_PLAINTEXT: 'true' | 'false' = 'false';

  /** `iss` every principal token must carry (and tokens signed here carry): who issues tokens for this system. */
  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'voucher-clearing';

  /** `aud` every principal token must carry: this system, so a token issued for another is refused. */
  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'voucher-clearing';

  /** HTTP port of the service (gateway API, or health/metrics of a NATS service). 0 = none. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  HTTP_PORT = 0;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  GRPC_PORT = 0;

  @IsOptional()
  @IsString()
  GRPC_TLS_DIR?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Type(() => Number)
  @IsInt()
  @Min(100)
  RPC_TIMEOUT_MS = 10000;

  @Type(() => Number)
  @IsInt()
  @Min(10)
  OUTBOX_POLL_MS = 50;

  /**
   * How often a service whose state others copy (registry: providers, issuance: programmes) vouches
   * for it with a heartbeat through its outbox (libs/platform, copies.ts).
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  HEARTBEAT_INTERVAL_MS = 5000;

  /**
   * How old a copy of another service's state may be (since the last heartbeat applied with every
   * event before it) for this service to decide with it: older, decisions that need it are refused
   * with COPY_STALE (retryable). Above the owner's HEARTBEAT_INTERVAL_MS with room for a restart.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  COPY_MAX_AGE_SECONDS = 60;

  /**
   * Requests per minute per principal at the gateway, counted across every gateway instance (a
   * NATS KV bucket). Each kind of principal has its own budget: enterprises, providers and
   * operators (with auditors and region admins) take RATE_LIMIT_PER_MINUTE unless their own is set;
   * anonymous callers (the public publicity page), counted per client address, a tenth of it
   * unless RATE_LIMIT_ANONYMOUS_PER_MINUTE is set.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 6000;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_ANONYMOUS_PER_MINUTE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_ENTERPRISE_PER_MINUTE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PROVIDER_PER_MINUTE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_OPERATOR_PER_MINUTE?: number;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /**
   * The publicity desk (settlement, R-PUB-1): objections it takes from one client address in 24
   * hours, and objections open on one claim at once (each contact has one open per claim). Beyond
   * either: OBJECTION_LIMIT. The operator decides all of a claim's objections at once.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  OBJECTIONS_PER_ADDRESS_PER_DAY = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  OBJECTIONS_OPEN_PER_CLAIM = 20;

  /**
   * Settlement renders a published run's public documents (PDF notice, list in CSV and XLSX) when
   * it is published and again when its public state changes, at most once per this many seconds
   * per run (an objection flood changes it often); downloads serve the stored documents.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  PUBLIC_DOCUMENTS_REFRESH_SECONDS = 30;

  /**
   * The gateway serves its copy of a public document (a run's notice or list) without asking
   * settlement for this many seconds after it last checked it; then it revalidates the copy by its
   * ETag, once for all the requests that want it at that moment.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  PUBLIC_DOCUMENTS_REVALIDATE_SECONDS = 5;

  /**
   * 'simulated' lets a delta operator set the business clock over NATS (`<service>.clock.set`), so
   * the demo can play a whole quarter in minutes. Refused in production.
   */
  @IsIn(['system', 'simulated'])
  CLOCK_MODE: 'system' | 'simulated' = 'system';

  /** Start of a simulated clock (ISO 8601); it then runs at normal speed from there. */
  @IsOptional()
  @IsString()
  SIMULATED_NOW?: string;

  /**
   * Fault injection for the fault tests (refused in production): 'outbox-hold' commits events but
   * never relays them; 'crash-after-publish' kills the process after publishing a batch that holds an
   * event other than a heartbeat, before marking it sent.
   */
  @IsIn(['none', 'outbox-hold', 'crash-after-publish'])
  FAULT_INJECTION: 'none' | 'outbox-hold' | 'crash-after-publish' = 'none';

  /**
   * Voucher payments made together in one transaction (redemption, ADR 0006): at most this many
   * per batch (1 = every payment alone), and at most PAY_BATCH_IN_FLIGHT batches at once.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  PAY_BATCH_MAX = 32;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  PAY_BATCH_IN_FLIGHT = 4;

  /**
   * Old-generation growth past the live heap before V8 collects again, in percent (0 = V8's own
   * policy); keeps a service's RSS near its live heap under load (libs/platform/src/memory.ts).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(400)
  HEAP_GROWING_PERCENT = 20;

  /**
   * Settlement confirms the claims a run is about to pay against redemption's own records before it
   * writes instructions. 'none' (NODE_ENV=test only) lets a suite that runs settlement alone, on
   * claims fed as events, disburse without a redemption service.
   */
  @IsIn(['redemption', 'none'])
  CONFIRM_PAYMENTS_WITH: 'redemption' | 'none' = 'redemption';

  /** JetStream replicas of the event stream: 1 on one server, 3 on a cluster. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  NATS_STREAM_REPLICAS = 1;
}

export class ConfigError extends Error {}

/**
 * Values that appear in the repository's examples and local set-ups; a production process given one
 * of them as a secret refuses to start (development keys are refused by their key ids, libs/auth).
 */
export const EXAMPLE_SECRETS = ['change-me', 'changeme', 'password', 'secret', 'postgres', 'voucher', 'example'];

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && k in new AppConfig()));
  const config = plainToInstance(AppConfig, { ...new AppConfig(), ...defined, ...overrides });
  const errors = validateSync(config, { whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (config.NODE_ENV === 'production') {
    if (!config.SECRETS_DIR) throw new ConfigError('invalid configuration:\n  SECRETS_DIR: required in production (keys and credentials are read from it)');
    if (config.DEV_SIGN_IN === 'true') throw new ConfigError('invalid configuration:\n  DEV_SIGN_IN: the development sign-in may not be used in production');
    if (config.GRPC_PLAINTEXT === 'true') throw new ConfigError('invalid configuration:\n  GRPC_PLAINTEXT: gRPC without TLS may not be used in production');
    const dbPassword = /^[a-z]+:\/\/[^:/@]+:([^@]*)@/.exec(config.DATABASE_URL)?.[1];
    const example = EXAMPLE_SECRETS.find((e) => [config.NATS_PASSWORD, dbPassword].some((v) => v !== undefined && (v === e || v.startsWith('change-me'))));
    if (example) throw new ConfigError(`invalid configuration:\n  a development or example secret ("${example}") may not be used in production`);
  }
  if (config.NODE_ENV === 'production' && config.CLOCK_MODE === 'simulated') {
    throw new ConfigError('invalid configuration:\n  CLOCK_MODE: a simulated clock may not be used in production');
  }
  if (config.NODE_ENV === 'production' && config.FAULT_INJECTION !== 'none') {
    throw new ConfigError('invalid configuration:\n  FAULT_INJECTION: fault injection may not be used in production');
  }
  if (config.CONFIRM_PAYMENTS_WITH === 'none' && config.NODE_ENV !== 'test') {
    throw new ConfigError('invalid configuration:\n  CONFIRM_PAYMENTS_WITH: payments are confirmed with redemption outside tests');
  }
  if (config.SIMULATED_NOW !== undefined && Number.isNaN(Date.parse(config.SIMULATED_NOW))) {
    throw new ConfigError('invalid configuration:\n  SIMULATED_NOW: not an ISO 8601 instant');
  }
  return config;
}

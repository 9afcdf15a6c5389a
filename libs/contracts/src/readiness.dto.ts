import { IsOptional, IsUUID } from 'class-validator';
import { IsProgrammeId } from './validation';
import { ApiBool, ApiInt, ApiText, ApiView } from './api-docs';

/**
 * Reads that lag writes (docs/DEVELOPING.md "Which reads lag which writes"): a provider admitted in
 * the registry, a programme opened or an enterprise approved in issuance reach redemption and
 * settlement through the event stream, usually within a second. A client asks whether they have
 * arrived, rather than retrying its first order until it is accepted.
 */
export class ReadinessQueryDto {
  @IsOptional() @IsUUID() providerId?: string;
  @IsOptional() @IsUUID() enterpriseId?: string;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsUUID() regionId?: string;
}

/** What one service knows of one object: whether it has heard of it, in which state, at which version. */
export class ArrivalStateView {
  @ApiBool({ description: 'the service has heard of it (for an enterprise: only its own principals, its region admin and overseers are told)' }) known: boolean;
  @ApiText({ nullable: true, description: 'its state as the service knows it (e.g. active, approved, open)' }) status: string | null;
  @ApiInt({ nullable: true, description: "the version the service holds: a provider's registry version, a programme's version, a region's version" }) version: number | null;
  @ApiBool({ description: 'usable for what the service does with it: an active provider not suspended, an approved enterprise, an open programme, an active region' }) usable: boolean;
}

export class ServiceArrivalView {
  @ApiView(ArrivalStateView, { required: false }) provider?: ArrivalStateView;
  @ApiView(ArrivalStateView, { required: false }) enterprise?: ArrivalStateView;
  @ApiView(ArrivalStateView, { required: false }) programme?: ArrivalStateView;
  @ApiView(ArrivalStateView, { required: false }) region?: ArrivalStateView;
  @ApiBool({ description: 'every object asked about is known and usable here' }) ready: boolean;
}

export class ArrivalView {
  @ApiView(ServiceArrivalView, { description: 'orders, vouchers and claims: providers, enterprises, programmes' }) redemption: ServiceArrivalView;
  @ApiView(ServiceArrivalView, { description: 'runs, matching and payments: programmes, enterprises, regions' }) settlement: ServiceArrivalView;
  @ApiBool({ description: 'both services are ready for everything asked about' }) ready: boolean;
}

export const READINESS_OBJECTS = ['provider', 'enterprise', 'programme', 'region'] as const;


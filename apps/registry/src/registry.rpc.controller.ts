import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import {
  ApplyProviderDto,
  AuditQueryDto,
  DecideComplaintDto,
  FileComplaintDto,
  FileCreditRecordDto,
  LiftExclusionDto,
  ListComplaintsDto,
  ListCreditRecordsDto,
  ListServicesDto,
  PublishServiceDto,
  RepairCreditRecordDto,
  SetExclusionDto,
  EligibilityDto,
  ListProvidersDto,
  Principal,
  ProviderIdDto,
  ReviewProviderDto,
  Subjects,
} from '@vc/contracts';
import { RpcBody, RpcIdempotencyKey, RpcPrincipal } from '@vc/messaging';
import { ReadAuditUseCase } from '@vc/platform';
import { ApplyProviderUseCase } from './use-cases/apply-provider.use-case';
import { ComplaintsUseCase } from './use-cases/complaints.use-case';
import { CreditRecordsUseCase } from './use-cases/credit-records.use-case';
import { ExclusionsUseCase } from './use-cases/exclusions.use-case';
import { PublishServiceUseCase } from './use-cases/publish-service.use-case';

import { ProviderQueries } from './use-cases/provider-queries';
import { ReviewProviderUseCase } from './use-cases/review-provider.use-case';

const S = Subjects.registry;

/** NATS request-reply interface of the registry; thin: every handler calls one use case. */
@Controller()
export class RegistryRpcController {
  constructor(
    private readonly applyProvider: ApplyProviderUseCase,
    private readonly reviewProvider: ReviewProviderUseCase,
    private readonly providers: ProviderQueries,
    private readonly services: PublishServiceUseCase,
    private readonly complaints: ComplaintsUseCase,
    private readonly credit: CreditRecordsUseCase,
    private readonly exclusions: ExclusionsUseCase,
    private readonly auditLog: ReadAuditUseCase,
  ) {}

  @MessagePattern(S.health)
  health() {
    return { status: 'ok', service: 'registry' };
  }

  @MessagePattern(S.providerApply)
  apply(@RpcPrincipal() p: Principal, @RpcBody(ApplyProviderDto) dto: ApplyProviderDto, @RpcIdempotencyKey() key?: string) {
    return this.applyProvider.execute(p, dto, key);
  }

  @MessagePattern(S.providerReview)
  review(@RpcPrincipal() p: Principal, @RpcBody(ReviewProviderDto) dto: ReviewProviderDto, @RpcIdempotencyKey() key?: string) {
    return this.reviewProvider.execute(p, dto, key);
  }

  @MessagePattern(S.providerGet)
  get(@RpcPrincipal() p: Principal, @RpcBody(ProviderIdDto) dto: ProviderIdDto) {
    return this.providers.get(p, dto);
  }

  @MessagePattern(S.providerList)
  list(@RpcPrincipal() p: Principal, @RpcBody(ListProvidersDto) dto: ListProvidersDto) {
    return this.providers.list(p, dto);
  }

  @MessagePattern(S.providerEligibility)
  eligibility(@RpcPrincipal() p: Principal, @RpcBody(EligibilityDto) dto: EligibilityDto) {
    return this.providers.eligibility(p, dto);
  }

  @MessagePattern(S.serviceOfferingPublish)
  publish(@RpcPrincipal() p: Principal, @RpcBody(PublishServiceDto) dto: PublishServiceDto, @RpcIdempotencyKey() key?: string) {
    return this.services.execute(p, dto, key);
  }

  @MessagePattern(S.serviceOfferingList)
  listServices(@RpcPrincipal() p: Principal, @RpcBody(ListServicesDto) dto: ListServicesDto) {
    return this.services.list(p, dto);
  }

  @MessagePattern(S.complaintFile)
  fileComplaint(@RpcPrincipal() p: Principal, @RpcBody(FileComplaintDto) dto: FileComplaintDto, @RpcIdempotencyKey() key?: string) {
    return this.complaints.file(p, dto, key);
  }

  @MessagePattern(S.complaintDecide)
  decideComplaint(@RpcPrincipal() p: Principal, @RpcBody(DecideComplaintDto) dto: DecideComplaintDto, @RpcIdempotencyKey() key?: string) {
    return this.complaints.decide(p, dto, key);
  }

  @MessagePattern(S.complaintList)
  listComplaints(@RpcPrincipal() p: Principal, @RpcBody(ListComplaintsDto) dto: ListComplaintsDto) {
    return this.complaints.list(p, dto);
  }

  @MessagePattern(S.creditFile)
  fileCredit(@RpcPrincipal() p: Principal, @RpcBody(FileCreditRecordDto) dto: FileCreditRecordDto, @RpcIdempotencyKey() key?: string) {
    return this.credit.file(p, dto, key);
  }

  @MessagePattern(S.creditRepair)
  repairCredit(@RpcPrincipal() p: Principal, @RpcBody(RepairCreditRecordDto) dto: RepairCreditRecordDto, @RpcIdempotencyKey() key?: string) {
    return this.credit.repair(p, dto, key);
  }

  @MessagePattern(S.creditList)
  listCredit(@RpcPrincipal() p: Principal, @RpcBody(ListCreditRecordsDto) dto: ListCreditRecordsDto) {
    return this.credit.list(p, dto);
  }

  @MessagePattern(S.exclusionSet)
  exclude(@RpcPrincipal() p: Principal, @RpcBody(SetExclusionDto) dto: SetExclusionDto, @RpcIdempotencyKey() key?: string) {
    return this.exclusions.exclude(p, dto, key);
  }

  @MessagePattern(S.exclusionLift)
  liftExclusion(@RpcPrincipal() p: Principal, @RpcBody(LiftExclusionDto) dto: LiftExclusionDto, @RpcIdempotencyKey() key?: string) {
    return this.exclusions.lift(p, dto, key);
  }

  @MessagePattern(S.auditList)
  audit(@RpcPrincipal() p: Principal, @RpcBody(AuditQueryDto) dto: AuditQueryDto) {
    return this.auditLog.execute(p, dto);
  }
}

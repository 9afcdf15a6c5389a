import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import {
  AuditQueryDto,
  QuarantineQueryDto,
  ClaimQuotaDto,
  CreateProgrammeDto,
  CreateRegionDto,
  DecideEnterpriseDto,
  EnterpriseIdDto,
  ListEnterprisesDto,
  ListProgrammesDto,
  ListRegionsDto,
  Principal,
  ProgrammeIdDto,
  QuotaQueryDto,
  RegionIdDto,
  RegisterEnterpriseDto,
  SetSmeRegistrationDto,
  Subjects,
  UpdateProgrammeDto,
  UpdateRegionDto,
} from '@vc/contracts';
import { RpcBody, RpcIdempotencyKey, RpcPrincipal } from '@vc/messaging';
import { ReadAuditUseCase, ReadQuarantineUseCase } from '@vc/platform';
import { ChangeProgrammeUseCase } from './use-cases/change-programme.use-case';
import { ClaimQuotaUseCase } from './use-cases/claim-quota.use-case';
import { CloseProgrammeUseCase } from './use-cases/close-programme.use-case';
import { CreateProgrammeUseCase } from './use-cases/create-programme.use-case';
import { CreateRegionUseCase } from './use-cases/create-region.use-case';
import { DecideEnterpriseUseCase } from './use-cases/decide-enterprise.use-case';
import { EnterpriseQueries } from './use-cases/enterprise-queries';
import { OpenProgrammeUseCase } from './use-cases/open-programme.use-case';
import { ProgrammeQueries } from './use-cases/programme-queries';
import { QuotaQueries } from './use-cases/quota-queries';
import { RegionQueries } from './use-cases/region-queries';
import { RegisterEnterpriseUseCase } from './use-cases/register-enterprise.use-case';
import { SetSmeRegistrationUseCase } from './use-cases/set-sme-registration.use-case';
import { UpdateRegionUseCase } from './use-cases/update-region.use-case';

const S = Subjects.issuance;

/** NATS request-reply interface of issuance; thin: every handler calls one use case. */
@Controller()
export class IssuanceRpcController {
  constructor(
    private readonly createProgramme: CreateProgrammeUseCase,
    private readonly changeProgramme: ChangeProgrammeUseCase,
    private readonly openProgramme: OpenProgrammeUseCase,
    private readonly closeProgramme: CloseProgrammeUseCase,
    private readonly programmes: ProgrammeQueries,
    private readonly createRegion: CreateRegionUseCase,
    private readonly updateRegion: UpdateRegionUseCase,
    private readonly regions: RegionQueries,
    private readonly registerEnterprise: RegisterEnterpriseUseCase,
    private readonly decideEnterprise: DecideEnterpriseUseCase,
    private readonly setSmeRegistration: SetSmeRegistrationUseCase,
    private readonly enterprises: EnterpriseQueries,
    private readonly claimQuota: ClaimQuotaUseCase,
    private readonly quota: QuotaQueries,
    private readonly auditLog: ReadAuditUseCase,
    private readonly quarantine: ReadQuarantineUseCase,
  ) {}

  @MessagePattern(S.health)
  health() {
    return { status: 'ok', service: 'issuance' };
  }

  @MessagePattern(S.programmeCreate)
  programmeCreate(@RpcPrincipal() p: Principal, @RpcBody(CreateProgrammeDto) dto: CreateProgrammeDto, @RpcIdempotencyKey() key?: string) {
    return this.createProgramme.execute(p, dto, key);
  }

  @MessagePattern(S.programmeUpdate)
  programmeUpdate(@RpcPrincipal() p: Principal, @RpcBody(UpdateProgrammeDto) dto: UpdateProgrammeDto, @RpcIdempotencyKey() key?: string) {
    return this.changeProgramme.execute(p, dto, key);
  }

  @MessagePattern(S.programmeOpen)
  programmeOpen(@RpcPrincipal() p: Principal, @RpcBody(ProgrammeIdDto) dto: ProgrammeIdDto, @RpcIdempotencyKey() key?: string) {
    return this.openProgramme.execute(p, dto, key);
  }

  @MessagePattern(S.programmeClose)
  programmeClose(@RpcPrincipal() p: Principal, @RpcBody(ProgrammeIdDto) dto: ProgrammeIdDto, @RpcIdempotencyKey() key?: string) {
    return this.closeProgramme.execute(p, dto, key);
  }

  @MessagePattern(S.programmeGet)
  programmeGet(@RpcPrincipal() p: Principal, @RpcBody(ProgrammeIdDto) dto: ProgrammeIdDto) {
    return this.programmes.get(p, dto);
  }

  @MessagePattern(S.programmeList)
  programmeList(@RpcPrincipal() p: Principal, @RpcBody(ListProgrammesDto) dto: ListProgrammesDto) {
    return this.programmes.list(p, dto);
  }

  @MessagePattern(S.regionCreate)
  regionCreate(@RpcPrincipal() p: Principal, @RpcBody(CreateRegionDto) dto: CreateRegionDto, @RpcIdempotencyKey() key?: string) {
    return this.createRegion.execute(p, dto, key);
  }

  @MessagePattern(S.regionUpdate)
  regionUpdate(@RpcPrincipal() p: Principal, @RpcBody(UpdateRegionDto) dto: UpdateRegionDto, @RpcIdempotencyKey() key?: string) {
    return this.updateRegion.execute(p, dto, key);
  }

  @MessagePattern(S.regionGet)
  regionGet(@RpcPrincipal() p: Principal, @RpcBody(RegionIdDto) dto: RegionIdDto) {
    return this.regions.get(p, dto);
  }

  @MessagePattern(S.regionList)
  regionList(@RpcPrincipal() p: Principal, @RpcBody(ListRegionsDto) dto: ListRegionsDto) {
    return this.regions.list(p, dto);
  }

  @MessagePattern(S.enterpriseRegister)
  enterpriseRegister(@RpcPrincipal() p: Principal, @RpcBody(RegisterEnterpriseDto) dto: RegisterEnterpriseDto, @RpcIdempotencyKey() key?: string) {
    return this.registerEnterprise.execute(p, dto, key);
  }

  @MessagePattern(S.enterpriseDecide)
  enterpriseDecide(@RpcPrincipal() p: Principal, @RpcBody(DecideEnterpriseDto) dto: DecideEnterpriseDto, @RpcIdempotencyKey() key?: string) {
    return this.decideEnterprise.execute(p, dto, key);
  }

  @MessagePattern(S.enterpriseSetSme)
  enterpriseSetSme(@RpcPrincipal() p: Principal, @RpcBody(SetSmeRegistrationDto) dto: SetSmeRegistrationDto, @RpcIdempotencyKey() key?: string) {
    return this.setSmeRegistration.execute(p, dto, key);
  }

  @MessagePattern(S.enterpriseGet)
  enterpriseGet(@RpcPrincipal() p: Principal, @RpcBody(EnterpriseIdDto) dto: EnterpriseIdDto) {
    return this.enterprises.get(p, dto);
  }

  @MessagePattern(S.enterpriseList)
  enterpriseList(@RpcPrincipal() p: Principal, @RpcBody(ListEnterprisesDto) dto: ListEnterprisesDto) {
    return this.enterprises.list(p, dto);
  }

  @MessagePattern(S.quotaClaim)
  quotaClaim(@RpcPrincipal() p: Principal, @RpcBody(ClaimQuotaDto) dto: ClaimQuotaDto, @RpcIdempotencyKey() key?: string) {
    return this.claimQuota.execute(p, dto, key);
  }

  @MessagePattern(S.quotaGet)
  quotaGet(@RpcPrincipal() p: Principal, @RpcBody(QuotaQueryDto) dto: QuotaQueryDto) {
    return this.quota.get(p, dto);
  }

  @MessagePattern(S.auditList)
  audit(@RpcPrincipal() p: Principal, @RpcBody(AuditQueryDto) dto: AuditQueryDto) {
    return this.auditLog.execute(p, dto);
  }

  /** Events received and not applied (EventConsumer), for the delta desk and auditors. */
  @MessagePattern(S.quarantineList)
  quarantined(@RpcPrincipal() p: Principal, @RpcBody(QuarantineQueryDto) dto: QuarantineQueryDto) {
    return this.quarantine.execute(p, dto);
  }
}

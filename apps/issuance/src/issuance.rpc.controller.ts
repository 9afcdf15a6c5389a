import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import {
  AuditQueryDto,
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
import { ReadAuditUseCase } from '@vc/platform';
import { ClaimQuotaUseCase } from './use-cases/claim-quota.use-case';
import { EnterprisesUseCase } from './use-cases/enterprises.use-case';
import { ProgrammesUseCase } from './use-cases/programmes.use-case';
import { RegionsUseCase } from './use-cases/regions.use-case';

const S = Subjects.issuance;

/** NATS request-reply interface of issuance; every handler calls one use case. */
@Controller()
export class IssuanceRpcController {
  constructor(
    private readonly programmes: ProgrammesUseCase,
    private readonly regions: RegionsUseCase,
    private readonly enterprises: EnterprisesUseCase,
    private readonly quota: ClaimQuotaUseCase,
    private readonly auditLog: ReadAuditUseCase,
  ) {}

  @MessagePattern(S.health)
  health() {
    return { status: 'ok', service: 'issuance' };
  }

  @MessagePattern(S.programmeCreate)
  createProgramme(@RpcPrincipal() p: Principal, @RpcBody(CreateProgrammeDto) dto: CreateProgrammeDto, @RpcIdempotencyKey() key?: string) {
    return this.programmes.create(p, dto, key);
  }

  @MessagePattern(S.programmeUpdate)
  updateProgramme(@RpcPrincipal() p: Principal, @RpcBody(UpdateProgrammeDto) dto: UpdateProgrammeDto, @RpcIdempotencyKey() key?: string) {
    return this.programmes.update(p, dto, key);
  }

  @MessagePattern(S.programmeOpen)
  openProgramme(@RpcPrincipal() p: Principal, @RpcBody(ProgrammeIdDto) dto: ProgrammeIdDto, @RpcIdempotencyKey() key?: string) {
    return this.programmes.open(p, dto, key);
  }

  @MessagePattern(S.programmeClose)
  closeProgramme(@RpcPrincipal() p: Principal, @RpcBody(ProgrammeIdDto) dto: ProgrammeIdDto, @RpcIdempotencyKey() key?: string) {
    return this.programmes.close(p, dto, key);
  }

  @MessagePattern(S.programmeGet)
  getProgramme(@RpcPrincipal() p: Principal, @RpcBody(ProgrammeIdDto) dto: ProgrammeIdDto) {
    return this.programmes.get(p, dto);
  }

  @MessagePattern(S.programmeList)
  listProgrammes(@RpcPrincipal() p: Principal, @RpcBody(ListProgrammesDto) dto: ListProgrammesDto) {
    return this.programmes.list(p, dto);
  }

  @MessagePattern(S.regionCreate)
  createRegion(@RpcPrincipal() p: Principal, @RpcBody(CreateRegionDto) dto: CreateRegionDto, @RpcIdempotencyKey() key?: string) {
    return this.regions.create(p, dto, key);
  }

  @MessagePattern(S.regionUpdate)
  updateRegion(@RpcPrincipal() p: Principal, @RpcBody(UpdateRegionDto) dto: UpdateRegionDto, @RpcIdempotencyKey() key?: string) {
    return this.regions.update(p, dto, key);
  }

  @MessagePattern(S.regionGet)
  getRegion(@RpcPrincipal() p: Principal, @RpcBody(RegionIdDto) dto: RegionIdDto) {
    return this.regions.get(p, dto);
  }

  @MessagePattern(S.regionList)
  listRegions(@RpcPrincipal() p: Principal, @RpcBody(ListRegionsDto) dto: ListRegionsDto) {
    return this.regions.list(p, dto);
  }

  @MessagePattern(S.enterpriseRegister)
  register(@RpcPrincipal() p: Principal, @RpcBody(RegisterEnterpriseDto) dto: RegisterEnterpriseDto, @RpcIdempotencyKey() key?: string) {
    return this.enterprises.register(p, dto, key);
  }

  @MessagePattern(S.enterpriseDecide)
  decide(@RpcPrincipal() p: Principal, @RpcBody(DecideEnterpriseDto) dto: DecideEnterpriseDto, @RpcIdempotencyKey() key?: string) {
    return this.enterprises.decide(p, dto, key);
  }

  @MessagePattern(S.enterpriseSetSme)
  setSme(@RpcPrincipal() p: Principal, @RpcBody(SetSmeRegistrationDto) dto: SetSmeRegistrationDto, @RpcIdempotencyKey() key?: string) {
    return this.enterprises.setSme(p, dto, key);
  }

  @MessagePattern(S.enterpriseGet)
  getEnterprise(@RpcPrincipal() p: Principal, @RpcBody(EnterpriseIdDto) dto: EnterpriseIdDto) {
    return this.enterprises.get(p, dto);
  }

  @MessagePattern(S.enterpriseList)
  listEnterprises(@RpcPrincipal() p: Principal, @RpcBody(ListEnterprisesDto) dto: ListEnterprisesDto) {
    return this.enterprises.list(p, dto);
  }

  @MessagePattern(S.quotaClaim)
  claim(@RpcPrincipal() p: Principal, @RpcBody(ClaimQuotaDto) dto: ClaimQuotaDto, @RpcIdempotencyKey() key?: string) {
    return this.quota.execute(p, dto, key);
  }

  @MessagePattern(S.quotaGet)
  getQuota(@RpcPrincipal() p: Principal, @RpcBody(QuotaQueryDto) dto: QuotaQueryDto) {
    return this.quota.get(p, dto);
  }

  @MessagePattern(S.auditList)
  audit(@RpcPrincipal() p: Principal, @RpcBody(AuditQueryDto) dto: AuditQueryDto) {
    return this.auditLog.execute(p, dto);
  }
}

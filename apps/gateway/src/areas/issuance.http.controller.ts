import { Body, Controller, Get, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  AuditPage,
  AuditQueryDto,
  ClaimQuotaDto,
  CreateProgrammeDto,
  CreateRegionDto,
  DecideEnterpriseDto,
  EnterprisePage,
  EnterpriseView,
  ListEnterprisesDto,
  ListProgrammesDto,
  ListRegionsDto,
  ProgrammeDetailView,
  ProgrammePage,
  ProgrammeView,
  QuarantinePage,
  QuarantineQueryDto,
  QuotaClaimView,
  QuotaQueryDto,
  QuotaView,
  RegionPage,
  RegionView,
  RegisterEnterpriseDto,
  SetSmeRegistrationDto,
  Subjects,
  UpdateProgrammeDto,
  UpdateRegionDto,
} from '@vc/contracts';
import { ErrorCode as E } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.issuance;

/** A year from a path or query string: four digits become a number; anything else is passed on for the service to refuse. */
const year = (y: string) => (/^\d{4}$/.test(y) ? Number(y) : y);

const PROGRAMME_EXAMPLE = {
  year: 2026,
  offsetRateBp: 2500,
  annualCapFen: 10_000_000,
  budgetFen: 500_000_000,
  mode: 'provider_redeems',
  publicityWorkingDays: 5,
  matchingDeadlineMonths: 3,
  rewardRateBp: 500,
  rewardCapFen: 50_000_000,
};

/** HTTP routes of the issuance service, forwarded over NATS; the service checks principal and input. */
@ApiTags('issuance')
@Controller('v1')
export class IssuanceHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('programmes')
  @ApiOp({
    id: 'createProgramme',
    summary: "Draft the programme of the operator's own province for a year, with every parameter of SPEC 4",
    body: CreateProgrammeDto,
    example: PROGRAMME_EXAMPLE,
    reply: ProgrammeView,
    status: 201,
    idempotency: 'required',
    refusals: [E.ALREADY_EXISTS],
  })
  createProgramme(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.programmeCreate, body);
  }

  @Put('programmes/:programmeId')
  @ApiOp({
    id: 'changeProgramme',
    summary: 'Change the parameters: in place while draft, as a new version effective from now once open (R-PROG-1)',
    body: { dto: UpdateProgrammeDto, omit: ['programmeId'] },
    reply: ProgrammeView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.PROGRAMME_FROZEN],
  })
  changeProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.programmeUpdate, { ...body, programmeId });
  }

  @Post('programmes/:programmeId/open')
  @ApiOp({
    id: 'openProgramme',
    summary: 'Open a draft programme: its parameters are fixed from now (R-PROG-1)',
    reply: ProgrammeView,
    idempotency: 'required',
    refusals: [E.VALIDATION_FAILED, E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  openProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeOpen, { programmeId });
  }

  @Post('programmes/:programmeId/close')
  @ApiOp({
    id: 'closeProgramme',
    summary: 'Close an open programme: no more quota claims',
    reply: ProgrammeView,
    idempotency: 'required',
    refusals: [E.VALIDATION_FAILED, E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  closeProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeClose, { programmeId });
  }

  @Get('programmes')
  @ApiOp({
    id: 'listProgrammes',
    summary: 'List programmes by province and year (any authenticated principal)',
    description: 'Programmes and their parameters are public information, read by every principal of the system; the route needs a bearer token like the others.',
    query: ListProgrammesDto,
    reply: ProgrammePage,
  })
  listProgrammes(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.programmeList, { ...Forwarder.query(query), ...(query.year ? { year: year(query.year) } : {}) });
  }

  @Get('programmes/:programmeId')
  @ApiOp({ id: 'getProgramme', summary: 'A programme with its current parameters and every version', reply: ProgrammeDetailView, refusals: [E.VALIDATION_FAILED, E.NOT_FOUND] })
  getProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeGet, { programmeId });
  }

  @Post('regions')
  @ApiOp({
    id: 'createRegion',
    summary: "Register a linked region of the operator's province with its matching ratio (default '1.00')",
    body: CreateRegionDto,
    example: { name: '苏州工业园区', matchingRatio: '1.00' },
    reply: RegionView,
    status: 201,
    idempotency: 'required',
    refusals: [E.ALREADY_EXISTS],
  })
  createRegion(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.regionCreate, body);
  }

  @Patch('regions/:regionId')
  @ApiOp({
    id: 'updateRegion',
    summary: 'Change the matching ratio or withdraw / re-admit a region, with a reason',
    body: { dto: UpdateRegionDto, omit: ['regionId'] },
    example: { matchingRatio: '0.50', reason: '市政府文件调整配套比例' },
    reply: RegionView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND],
  })
  updateRegion(@Req() req: AuthedRequest, @Param('regionId') regionId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.regionUpdate, { ...body, regionId });
  }

  @Get('regions')
  @ApiOp({ id: 'listRegions', summary: 'List linked regions (a region admin sees only its own)', query: ListRegionsDto, reply: RegionPage })
  listRegions(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.regionList, Forwarder.query(query));
  }

  @Get('regions/:regionId')
  @ApiOp({ id: 'getRegion', summary: 'A linked region', reply: RegionView, refusals: [E.VALIDATION_FAILED, E.NOT_FOUND] })
  getRegion(@Req() req: AuthedRequest, @Param('regionId') regionId: string) {
    return this.fwd.call(req, S.regionGet, { regionId });
  }

  @Post('enterprises')
  @ApiOp({
    id: 'registerEnterprise',
    summary: "An enterprise's account registers it in its home province and linked region (R-ENT-1)",
    body: RegisterEnterpriseDto,
    example: { creditCode: '91320594MA1XY1123K', name: '苏州光子芯片科技有限公司', regionId: '0b8f6f5e-2f1d-4c3a-9e6b-1a2b3c4d5e6f' },
    reply: EnterpriseView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ALREADY_EXISTS, E.REGION_WITHDRAWN],
  })
  registerEnterprise(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.enterpriseRegister, body);
  }

  @Post('enterprises/:enterpriseId/decision')
  @ApiOp({
    id: 'decideEnterprise',
    summary: "The region's admin approves, or rejects with a reason (R-ENT-1)",
    body: { dto: DecideEnterpriseDto, omit: ['enterpriseId'] },
    example: { decision: 'approve' },
    reply: EnterpriseView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE, E.REGION_DEFAULTING, E.REGION_WITHDRAWN],
  })
  decideEnterprise(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.enterpriseDecide, { ...body, enterpriseId });
  }

  @Put('enterprises/:enterpriseId/sme-registrations/:year')
  @ApiOp({
    id: 'setSmeRegistration',
    summary: 'File the SME registration number for a year; claims of that year need it (R-ENT-2)',
    body: { dto: SetSmeRegistrationDto, omit: ['enterpriseId', 'year'], name: 'SetSmeRegistrationBody' },
    example: { registrationNumber: '20263205000123' },
    reply: EnterpriseView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ALREADY_EXISTS],
  })
  setSmeRegistration(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Param('year') y: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.enterpriseSetSme, { ...body, enterpriseId, year: year(y) });
  }

  @Get('enterprises')
  @ApiOp({ id: 'listEnterprises', summary: "List enterprises: a region admin its region's, an operator its province's (paged)", query: ListEnterprisesDto, reply: EnterprisePage })
  listEnterprises(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.enterpriseList, Forwarder.query(query));
  }

  @Get('enterprises/:enterpriseId')
  @ApiOp({ id: 'getEnterprise', summary: 'An enterprise (itself, its region admin, its province operator, auditors)', reply: EnterpriseView, refusals: [E.VALIDATION_FAILED, E.NOT_FOUND] })
  getEnterprise(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string) {
    return this.fwd.call(req, S.enterpriseGet, { enterpriseId });
  }

  @Post('enterprises/:enterpriseId/quota-claims')
  @ApiOp({
    id: 'claimQuota',
    summary: 'Claim quota of the current year up to the annual cap; over the remaining cap is refused whole (R-QUOTA-1)',
    body: { dto: ClaimQuotaDto, omit: ['enterpriseId'] },
    example: { amountFen: 6_000_000 },
    reply: QuotaClaimView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ENTERPRISE_NOT_APPROVED, E.PROGRAMME_NOT_OPEN, E.QUOTA_CAP_EXCEEDED, E.SME_REGISTRATION_MISSING],
  })
  claimQuota(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.quotaClaim, { ...body, enterpriseId });
  }

  @Get('enterprises/:enterpriseId/quota')
  @ApiOp({
    id: 'getQuota',
    summary: 'Claims, claimed total, cap and remaining cap per year; the spendable balance is at redemption (ADR 0003)',
    query: { dto: QuotaQueryDto, omit: ['enterpriseId'] },
    reply: QuotaView,
    refusals: [E.NOT_FOUND],
  })
  getQuota(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Query('year') y?: string) {
    return this.fwd.call(req, S.quotaGet, { enterpriseId, ...(y ? { year: year(y) } : {}) });
  }

  @Get('audit/issuance')
  @ApiOp({ id: 'listIssuanceAudit', summary: 'Issuance audit log, paged by `after` (auditors, delta operator)', query: AuditQueryDto, reply: AuditPage })
  listIssuanceAudit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }

  @Get('quarantine/issuance')
  @ApiOp({ id: 'listIssuanceQuarantine', summary: 'Events issuance received and did not apply (unsigned, foreign, malformed, replayed), paged by `after` (auditors, delta operator)', query: QuarantineQueryDto, reply: QuarantinePage })
  listIssuanceQuarantine(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.quarantineList, Forwarder.query(query));
  }
}

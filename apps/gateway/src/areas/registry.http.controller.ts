import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  ApplyProviderDto,
  AuditPage,
  AuditQueryDto,
  ComplaintDecisionView,
  ComplaintPage,
  ComplaintView,
  CreditRecordFiledView,
  CreditRecordPage,
  CreditRecordRepairedView,
  DecideComplaintDto,
  EligibilityDto,
  EligibilityView,
  ExclusionView,
  FileComplaintDto,
  FileCreditRecordDto,
  LiftExclusionDto,
  ListComplaintsDto,
  ListCreditRecordsDto,
  ListProvidersDto,
  ListServicesDto,
  ProviderPage,
  ProviderView,
  PublishServiceDto,
  RepairCreditRecordDto,
  ReviewProviderDto,
  ServiceOfferingPage,
  ServiceOfferingView,
  SetExclusionDto,
  Subjects,
} from '@vc/contracts';
import { ErrorCode as E } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.registry;

/** HTTP routes of the registry service, forwarded over NATS; the service checks principal and input. */
@ApiTags('registry')
@Controller('v1')
export class RegistryHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('providers')
  @ApiOp({
    id: 'applyProvider',
    summary: 'Apply to the provider registry (R-REG-1)',
    description: 'Priority kinds (universities, institutes, key laboratories, testing centres …) are admitted at once; the others wait for review with their qualification documents.',
    body: ApplyProviderDto,
    example: { creditCode: '12320000466002770H', legalName: '南京示范大学', unitName: '材料科学与工程学院', kind: 'college', province: 'JS' },
    reply: ProviderView,
    status: 201,
    idempotency: 'required',
    refusals: [E.ALREADY_EXISTS],
  })
  applyProvider(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.providerApply, body);
  }

  @Post('providers/:providerId/review')
  @ApiOp({
    id: 'reviewProvider',
    summary: 'Admit or reject a provider waiting for review (delta operator)',
    body: { dto: ReviewProviderDto, omit: ['providerId'] },
    example: { decision: 'approve' },
    reply: ProviderView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  reviewProvider(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.providerReview, { ...body, providerId });
  }

  @Get('providers')
  @ApiOp({ id: 'listProviders', summary: 'Search the registry by province, kind, status, name or credit code (paged)', query: ListProvidersDto, reply: ProviderPage })
  listProviders(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.providerList, Forwarder.query(query));
  }

  @Get('providers/:providerId')
  @ApiOp({ id: 'getProvider', summary: 'A provider unit of the registry', reply: ProviderView, refusals: [E.NOT_FOUND, E.VALIDATION_FAILED] })
  getProvider(@Req() req: AuthedRequest, @Param('providerId') providerId: string) {
    return this.fwd.call(req, S.providerGet, { providerId });
  }

  @Get('providers/:providerId/eligibility')
  @ApiOp({
    id: 'getProviderEligibility',
    summary: 'May this provider take new voucher orders of a programme (R-REG-2..4)?',
    query: { dto: EligibilityDto, omit: ['providerId'] },
    reply: EligibilityView,
    refusals: [E.NOT_FOUND],
  })
  getProviderEligibility(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Query('programmeId') programmeId: string) {
    return this.fwd.call(req, S.providerEligibility, { providerId, programmeId });
  }

  @Post('providers/:providerId/services')
  @ApiOp({
    id: 'publishService',
    summary: 'Publish a service with its price (active providers only, R-REG-2)',
    body: { dto: PublishServiceDto, omit: ['providerId'] },
    example: { category: 'testing', name: '场发射扫描电镜测试', priceFen: 80000, unit: '机时' },
    reply: ServiceOfferingView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.PROVIDER_NOT_ACTIVE],
  })
  publishService(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.serviceOfferingPublish, { ...body, providerId });
  }

  @Get('services')
  @ApiOp({ id: 'listServices', summary: 'Services published by active providers (paged)', query: ListServicesDto, reply: ServiceOfferingPage })
  listServices(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.serviceOfferingList, Forwarder.query(query));
  }

  @Post('complaints')
  @ApiOp({
    id: 'fileComplaint',
    summary: 'File a complaint against a provider (R-REG-3)',
    body: FileComplaintDto,
    reply: ComplaintView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND],
  })
  fileComplaint(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.complaintFile, body);
  }

  @Post('complaints/:complaintId/decision')
  @ApiOp({
    id: 'decideComplaint',
    summary: 'Uphold or dismiss a complaint; three upheld revoke the provider (R-REG-3)',
    body: { dto: DecideComplaintDto, omit: ['complaintId'] },
    example: { decision: 'uphold', reason: '经核查属实' },
    reply: ComplaintDecisionView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  decideComplaint(@Req() req: AuthedRequest, @Param('complaintId') complaintId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.complaintDecide, { ...body, complaintId });
  }

  @Get('complaints')
  @ApiOp({
    id: 'listComplaints',
    summary: 'Complaints: all (operators, auditors), against its own units (provider), filed by it (enterprise, region)',
    query: ListComplaintsDto,
    reply: ComplaintPage,
    refusals: [E.NOT_FOUND],
  })
  listComplaints(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.complaintList, Forwarder.query(query));
  }

  @Post('credit-records')
  @ApiOp({
    id: 'fileCreditRecord',
    summary: 'File a credit record against a legal entity (R-REG-4)',
    description: 'A serious record suspends every unit of the legal entity in every programme until it is repaired.',
    body: FileCreditRecordDto,
    example: { creditCode: '91110000MA01A2B3CN', severity: 'serious', reason: '提供虚假检测报告', effectiveFrom: '2026-07-01' },
    reply: CreditRecordFiledView,
    status: 201,
    idempotency: 'required',
  })
  fileCreditRecord(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.creditFile, body);
  }

  @Post('credit-records/:recordId/repair')
  @ApiOp({
    id: 'repairCreditRecord',
    summary: 'Approve a credit repair (general after 1 year, serious after 3)',
    body: { dto: RepairCreditRecordDto, omit: ['recordId'] },
    reply: CreditRecordRepairedView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE, E.CREDIT_REPAIR_TOO_EARLY],
  })
  repairCreditRecord(@Req() req: AuthedRequest, @Param('recordId') recordId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.creditRepair, { ...body, recordId });
  }

  @Get('credit-records')
  @ApiOp({ id: 'listCreditRecords', summary: 'Credit records (operators, auditors; a provider those against its own legal entity)', query: ListCreditRecordsDto, reply: CreditRecordPage })
  listCreditRecords(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.creditList, Forwarder.query(query));
  }

  @Post('providers/:providerId/exclusions')
  @ApiOp({
    id: 'excludeProvider',
    summary: "Exclude a provider from one programme's vouchers (R-REG-2; the programme's operator)",
    body: { dto: SetExclusionDto, omit: ['providerId'] },
    example: { programmeId: 'JS-2026', reason: '多次违规' },
    reply: ExclusionView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ALREADY_EXISTS],
  })
  excludeProvider(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.exclusionSet, { ...body, providerId });
  }

  @Post('providers/:providerId/exclusions/lift')
  @ApiOp({
    id: 'liftExclusion',
    summary: "Lift a provider's exclusion from a programme",
    body: { dto: LiftExclusionDto, omit: ['providerId'] },
    reply: ExclusionView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND],
  })
  liftExclusion(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.exclusionLift, { ...body, providerId });
  }

  @Get('audit/registry')
  @ApiOp({ id: 'listRegistryAudit', summary: 'Registry audit log, paged by `after` (auditors, delta operator)', query: AuditQueryDto, reply: AuditPage })
  listRegistryAudit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApplyProviderDto,
  DecideComplaintDto,
  FileComplaintDto,
  FileCreditRecordDto,
  PublishServiceDto,
  RepairCreditRecordDto,
  SetExclusionDto,
  Subjects,
} from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.registry;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };

@ApiTags('registry')
@ApiBearerAuth()
@Controller('v1')
export class RegistryHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('providers')
  @ApiOperation({ summary: 'Apply to the provider registry (R-REG-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: ApplyProviderDto })
  apply(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.providerApply, body);
  }

  @Post('providers/:providerId/review')
  @HttpCode(200)
  @ApiOperation({ summary: 'Admit or reject a provider waiting for review (delta operator)' })
  @ApiHeader(IDEMPOTENCY)
  review(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.providerReview, { ...body, providerId });
  }

  @Get('providers')
  @ApiOperation({ summary: 'Search the registry by province, kind, status, name or credit code' })
  list(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.providerList, Forwarder.query(query));
  }

  @Get('providers/:providerId')
  get(@Req() req: AuthedRequest, @Param('providerId') providerId: string) {
    return this.fwd.call(req, S.providerGet, { providerId });
  }

  @Get('providers/:providerId/eligibility')
  @ApiOperation({ summary: 'May this provider take new voucher orders of a programme (R-REG-2..4)?' })
  eligibility(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Query('programmeId') programmeId: string) {
    return this.fwd.call(req, S.providerEligibility, { providerId, programmeId });
  }

  @Post('providers/:providerId/services')
  @ApiOperation({ summary: 'Publish a service with its price (active providers only, R-REG-2)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: PublishServiceDto })
  publish(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.serviceOfferingPublish, { ...body, providerId });
  }

  @Get('services')
  services(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.serviceOfferingList, Forwarder.query(query));
  }

  @Post('complaints')
  @ApiOperation({ summary: 'File a complaint against a provider (R-REG-3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: FileComplaintDto })
  fileComplaint(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.complaintFile, body);
  }

  @Post('complaints/:complaintId/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Uphold or dismiss a complaint; three upheld revoke the provider (R-REG-3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: DecideComplaintDto })
  decideComplaint(@Req() req: AuthedRequest, @Param('complaintId') complaintId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.complaintDecide, { ...body, complaintId });
  }

  @Get('complaints')
  complaints(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.complaintList, Forwarder.query(query));
  }

  @Post('credit-records')
  @ApiOperation({ summary: 'File a credit record against a legal entity (R-REG-4)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: FileCreditRecordDto })
  fileCredit(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.creditFile, body);
  }

  @Post('credit-records/:recordId/repair')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a credit repair (general after 1 year, serious after 3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: RepairCreditRecordDto })
  repairCredit(@Req() req: AuthedRequest, @Param('recordId') recordId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.creditRepair, { ...body, recordId });
  }

  @Get('credit-records')
  creditRecords(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.creditList, Forwarder.query(query));
  }

  @Post('providers/:providerId/exclusions')
  @ApiOperation({ summary: "Exclude a provider from one programme's vouchers (R-REG-2)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: SetExclusionDto })
  exclude(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.exclusionSet, { ...body, providerId });
  }

  @Post('providers/:providerId/exclusions/lift')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY)
  lift(@Req() req: AuthedRequest, @Param('providerId') providerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.exclusionLift, { ...body, providerId });
  }

  @Get('audit/registry')
  @ApiOperation({ summary: 'Registry audit log, paged (auditors, delta operator)' })
  audit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }
}

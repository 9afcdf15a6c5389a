import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ClaimQuotaDto,
  CreateProgrammeDto,
  CreateRegionDto,
  DecideEnterpriseDto,
  RegisterEnterpriseDto,
  SetSmeRegistrationDto,
  Subjects,
  UpdateProgrammeDto,
  UpdateRegionDto,
} from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.issuance;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };

/** A year from a path or query string: four digits become a number; anything else is passed on for the service to refuse. */
const year = (y: string) => (/^\d{4}$/.test(y) ? Number(y) : y);

/** HTTP routes of the issuance service, forwarded over NATS; the service checks principal and input. */
@ApiTags('issuance')
@ApiBearerAuth()
@Controller('v1')
export class IssuanceHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('programmes')
  @ApiOperation({ summary: "Draft the programme of the operator's own province for a year, with every parameter of SPEC 4" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CreateProgrammeDto })
  createProgramme(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.programmeCreate, body);
  }

  @Put('programmes/:programmeId')
  @ApiOperation({ summary: 'Change the parameters: in place while draft, as a new version effective from now once open (R-PROG-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: UpdateProgrammeDto })
  changeProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.programmeUpdate, { ...body, programmeId });
  }

  @Post('programmes/:programmeId/open')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open a draft programme: its parameters are fixed from now (R-PROG-1)' })
  @ApiHeader(IDEMPOTENCY)
  openProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeOpen, { programmeId });
  }

  @Post('programmes/:programmeId/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close an open programme: no more quota claims' })
  @ApiHeader(IDEMPOTENCY)
  closeProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeClose, { programmeId });
  }

  @Get('programmes')
  @ApiOperation({ summary: 'List programmes by province and year (public)' })
  listProgrammes(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.programmeList, { ...Forwarder.query(query), ...(query.year ? { year: year(query.year) } : {}) });
  }

  @Get('programmes/:programmeId')
  @ApiOperation({ summary: 'A programme with its current parameters and every version' })
  getProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeGet, { programmeId });
  }

  @Post('regions')
  @ApiOperation({ summary: "Register a linked region of the operator's province with its matching ratio (default '1.00')" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CreateRegionDto })
  createRegion(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.regionCreate, body);
  }

  @Patch('regions/:regionId')
  @ApiOperation({ summary: 'Change the matching ratio or withdraw / re-admit a region, with a reason' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: UpdateRegionDto })
  updateRegion(@Req() req: AuthedRequest, @Param('regionId') regionId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.regionUpdate, { ...body, regionId });
  }

  @Get('regions')
  @ApiOperation({ summary: 'List linked regions (a region admin sees only its own)' })
  listRegions(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.regionList, Forwarder.query(query));
  }

  @Get('regions/:regionId')
  getRegion(@Req() req: AuthedRequest, @Param('regionId') regionId: string) {
    return this.fwd.call(req, S.regionGet, { regionId });
  }

  @Post('enterprises')
  @ApiOperation({ summary: "An enterprise's account registers it in its home province and linked region (R-ENT-1)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: RegisterEnterpriseDto })
  registerEnterprise(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.enterpriseRegister, body);
  }

  @Post('enterprises/:enterpriseId/decision')
  @HttpCode(200)
  @ApiOperation({ summary: "The region's admin approves, or rejects with a reason (R-ENT-1)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: DecideEnterpriseDto })
  decideEnterprise(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.enterpriseDecide, { ...body, enterpriseId });
  }

  @Put('enterprises/:enterpriseId/sme-registrations/:year')
  @ApiOperation({ summary: 'File the SME registration number for a year; claims of that year need it (R-ENT-2)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: SetSmeRegistrationDto, description: 'registrationNumber; enterpriseId and year come from the path' })
  setSmeRegistration(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Param('year') y: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.enterpriseSetSme, { ...body, enterpriseId, year: year(y) });
  }

  @Get('enterprises')
  @ApiOperation({ summary: "List enterprises: a region admin its region's, an operator its province's" })
  listEnterprises(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.enterpriseList, Forwarder.query(query));
  }

  @Get('enterprises/:enterpriseId')
  getEnterprise(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string) {
    return this.fwd.call(req, S.enterpriseGet, { enterpriseId });
  }

  @Post('enterprises/:enterpriseId/quota-claims')
  @ApiOperation({ summary: 'Claim quota of the current year up to the annual cap; over the remaining cap is refused whole (R-QUOTA-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: ClaimQuotaDto, description: 'amountFen (and optionally year); enterpriseId comes from the path' })
  claimQuota(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.quotaClaim, { ...body, enterpriseId });
  }

  @Get('enterprises/:enterpriseId/quota')
  @ApiOperation({ summary: 'Claims, claimed total, cap and remaining cap per year; the spendable balance is at redemption (ADR 0003)' })
  quota(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Query('year') y?: string) {
    return this.fwd.call(req, S.quotaGet, { enterpriseId, ...(y ? { year: year(y) } : {}) });
  }

  @Get('audit/issuance')
  @ApiOperation({ summary: 'Issuance audit log, paged (auditors, delta operator)' })
  audit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }
}

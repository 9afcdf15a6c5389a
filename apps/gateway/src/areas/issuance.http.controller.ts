import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ClaimQuotaDto,
  CreateProgrammeDto,
  CreateRegionDto,
  DecideEnterpriseDto,
  ProgrammeParametersDto,
  RegisterEnterpriseDto,
  Subjects,
  UpdateRegionDto,
} from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.issuance;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };
const year = (y: string) => (/^\d{4}$/.test(y) ? Number(y) : y);

/** HTTP routes of the issuance service, forwarded over NATS. */
@ApiTags('issuance')
@ApiBearerAuth()
@Controller('v1')
export class IssuanceHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('programmes')
  @ApiOperation({ summary: "Create a draft programme of the operator's province (SPEC 4)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CreateProgrammeDto })
  createProgramme(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.programmeCreate, body);
  }

  @Put('programmes/:programmeId')
  @ApiOperation({ summary: 'Change parameters: in place while draft, a new version once open (R-PROG-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: ProgrammeParametersDto })
  updateProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.programmeUpdate, { ...body, programmeId });
  }

  @Post('programmes/:programmeId/open')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY)
  open(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeOpen, { programmeId });
  }

  @Post('programmes/:programmeId/close')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY)
  close(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeClose, { programmeId });
  }

  @Get('programmes')
  listProgrammes(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.programmeList, { ...Forwarder.query(query), ...(query.year ? { year: year(query.year) } : {}) });
  }

  @Get('programmes/:programmeId')
  getProgramme(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string) {
    return this.fwd.call(req, S.programmeGet, { programmeId });
  }

  @Post('regions')
  @ApiOperation({ summary: 'Register a linked region with its matching ratio (default 1.00)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CreateRegionDto })
  createRegion(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.regionCreate, body);
  }

  @Patch('regions/:regionId')
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: UpdateRegionDto })
  updateRegion(@Req() req: AuthedRequest, @Param('regionId') regionId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.regionUpdate, { ...body, regionId });
  }

  @Get('regions')
  listRegions(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.regionList, Forwarder.query(query));
  }

  @Get('regions/:regionId')
  getRegion(@Req() req: AuthedRequest, @Param('regionId') regionId: string) {
    return this.fwd.call(req, S.regionGet, { regionId });
  }

  @Post('enterprises')
  @ApiOperation({ summary: 'An enterprise registers in its home province and linked region (R-ENT-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: RegisterEnterpriseDto })
  register(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.enterpriseRegister, body);
  }

  @Post('enterprises/:enterpriseId/decision')
  @HttpCode(200)
  @ApiOperation({ summary: "The region's admin approves or rejects with a reason (R-ENT-1)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: DecideEnterpriseDto })
  decide(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.enterpriseDecide, { ...body, enterpriseId });
  }

  @Put('enterprises/:enterpriseId/sme-registrations/:year')
  @ApiOperation({ summary: 'SME registration number for a year (R-ENT-2)' })
  @ApiHeader(IDEMPOTENCY)
  setSme(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Param('year') y: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.enterpriseSetSme, { ...body, enterpriseId, year: year(y) });
  }

  @Get('enterprises')
  listEnterprises(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.enterpriseList, Forwarder.query(query));
  }

  @Get('enterprises/:enterpriseId')
  getEnterprise(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string) {
    return this.fwd.call(req, S.enterpriseGet, { enterpriseId });
  }

  @Post('enterprises/:enterpriseId/quota-claims')
  @ApiOperation({ summary: 'Claim quota up to the annual cap (R-QUOTA-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: ClaimQuotaDto })
  claim(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.quotaClaim, { ...body, enterpriseId });
  }

  @Get('enterprises/:enterpriseId/quota')
  quota(@Req() req: AuthedRequest, @Param('enterpriseId') enterpriseId: string, @Query('year') y?: string) {
    return this.fwd.call(req, S.quotaGet, { enterpriseId, ...(y ? { year: year(y) } : {}) });
  }

  @Get('audit/issuance')
  audit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@vc/auth';
import {
  DecideObjectionDto,
  ExportView,
  FileObjectionDto,
  GradeProviderDto,
  RecordMatchingDto,
  ReviewRunDto,
  StartRunDto,
  Subjects,
} from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.settlement;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };
const BOOLEAN_QUERY = new Set(['sampled', 'overdueOnly', 'detail']);
const INTEGER_QUERY = new Set(['year', 'sampleRateBp']);

/** Query strings are text: booleans and a few integers become JSON types for the service's DTOs. */
function query(q: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out = Forwarder.query(q);
  for (const [k, v] of Object.entries(out)) {
    if (BOOLEAN_QUERY.has(k) && (v === 'true' || v === 'false')) out[k] = v === 'true';
    if (INTEGER_QUERY.has(k) && typeof v === 'string' && /^\d{1,9}$/.test(v)) out[k] = Number(v);
  }
  return { ...out, ...extra };
}

/** HTTP routes of the settlement service, forwarded over NATS (SPEC 5.6–5.8). */
@ApiTags('settlement')
@ApiBearerAuth()
@Controller('v1')
export class SettlementHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('settlement/runs')
  @ApiOperation({ summary: 'Start the quarterly run of a programme: collect claims, draw the inspection sample (programme operator)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: StartRunDto })
  start(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.runStart, body);
  }

  @Get('settlement/runs')
  list(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.runList, query(q));
  }

  @Get('settlement/runs/:runId')
  get(@Req() req: AuthedRequest, @Param('runId') runId: string) {
    return this.fwd.call(req, S.runGet, { runId });
  }

  @Get('settlement/runs/:runId/claims')
  @ApiOperation({ summary: "A run's claims by state, sampled or payee (paged)" })
  claims(@Req() req: AuthedRequest, @Param('runId') runId: string, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.claimList, query(q, { runId }));
  }

  @Post('settlement/runs/:runId/review')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve, reject (with reason) or return claims; approveAll spares sampled and flagged ones' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: ReviewRunDto })
  review(@Req() req: AuthedRequest, @Param('runId') runId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.runReview, { ...body, runId });
  }

  @Post('settlement/runs/:runId/publish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish the approved list for publicityWorkingDays working days (R-PUB-1)' })
  @ApiHeader(IDEMPOTENCY)
  publish(@Req() req: AuthedRequest, @Param('runId') runId: string) {
    return this.fwd.call(req, S.runPublish, { runId });
  }

  @Post('settlement/runs/:runId/disburse')
  @HttpCode(200)
  @ApiOperation({ summary: 'Write payment instructions and pay, or resume a disbursement (idempotent, R-PAY-1)' })
  disburse(@Req() req: AuthedRequest, @Param('runId') runId: string) {
    return this.fwd.call(req, S.runDisburse, { runId });
  }

  @Get('settlement/runs/:runId/instructions')
  instructions(@Req() req: AuthedRequest, @Param('runId') runId: string, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.instructionList, query(q, { runId }));
  }

  @Get('settlement/runs/:runId/exports/:kind.:format')
  @ApiOperation({ summary: 'Download instructions / publicity / statement as csv or xlsx, or the notice as pdf' })
  exportRun(@Req() req: AuthedRequest, @Param('runId') runId: string, @Param('kind') kind: string, @Param('format') format: string, @Res() reply: FastifyReply) {
    return this.download(req, reply, { runId, kind, format });
  }

  @Get('settlement/objections')
  objections(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.objectionList, query(q));
  }

  @Post('settlement/objections/:objectionId/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Uphold (the claim is rejected) or dismiss (next run) an objection' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: DecideObjectionDto })
  decideObjection(@Req() req: AuthedRequest, @Param('objectionId') objectionId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.objectionDecide, { ...body, objectionId });
  }

  @Post('settlement/matching/payments')
  @ApiOperation({ summary: "Record the region's matching payments (region admin, own region only, R-MATCH-1)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: RecordMatchingDto })
  recordMatching(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.matchingRecord, body);
  }

  @Get('settlement/matching')
  @ApiOperation({ summary: 'Matching owed, paid and overdue, per region and obligation' })
  matching(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.matchingReport, query(q));
  }

  @Post('settlement/matching/check')
  @HttpCode(200)
  @ApiOperation({ summary: 'Flag regions with overdue matching as defaulting, clear those that caught up' })
  matchingCheck(@Req() req: AuthedRequest, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.matchingCheck, body ?? {});
  }

  @Get('settlement/statements')
  @ApiOperation({ summary: 'Cross-province statement of a quarter or run, with the net view (R-CLEAR-1)' })
  statement(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.statementGet, query(q));
  }

  @Get('settlement/statements/:quarter/export.:format')
  exportStatement(@Req() req: AuthedRequest, @Param('quarter') quarter: string, @Param('format') format: string, @Query() q: Record<string, string>, @Res() reply: FastifyReply) {
    return this.download(req, reply, { kind: 'statement', quarter, format, ...(q.programmeId ? { programmeId: q.programmeId } : {}) });
  }

  @Put('settlement/rewards/grades')
  @ApiOperation({ summary: "Grade one of the province's providers for the year-end reward" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: GradeProviderDto })
  grade(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.rewardGrade, body);
  }

  @Post('settlement/rewards')
  @HttpCode(200)
  @ApiOperation({ summary: 'Compute the year-end rewards of a programme after the year closes (R-REWARD-1)' })
  @ApiHeader(IDEMPOTENCY)
  computeRewards(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.rewardCompute, body);
  }

  @Get('settlement/rewards')
  rewards(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.rewardList, query(q));
  }

  @Get('settlement/rewards/export.:format')
  exportRewards(@Req() req: AuthedRequest, @Param('format') format: string, @Query() q: Record<string, string>, @Res() reply: FastifyReply) {
    return this.download(req, reply, { kind: 'rewards', format, ...query(q) });
  }

  @Get('audit/settlement')
  @ApiOperation({ summary: 'Settlement audit log, paged (auditors, delta operator)' })
  audit(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(q));
  }

  // ---- public: the publicity page (R-PUB-1: anyone may read the list and object) ----------

  @Public()
  @Get('publicity')
  @ApiOperation({ summary: 'Runs whose publicity window is open (public)' })
  publicity(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.publicityList, query(q));
  }

  @Public()
  @Get('publicity/:runId')
  @ApiOperation({ summary: 'The published list of a run, enterprises included (public, paged)' })
  publicityRun(@Req() req: AuthedRequest, @Param('runId') runId: string, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.publicityList, query(q, { runId }));
  }

  @Public()
  @Get('publicity/:runId/notice.pdf')
  @ApiOperation({ summary: 'The publicity notice as PDF (public)' })
  notice(@Req() req: AuthedRequest, @Param('runId') runId: string, @Res() reply: FastifyReply) {
    return this.download(req, reply, { runId, kind: 'notice', format: 'pdf' });
  }

  @Public()
  @Get('publicity/:runId/list.:format')
  publicityFile(@Req() req: AuthedRequest, @Param('runId') runId: string, @Param('format') format: string, @Res() reply: FastifyReply) {
    return this.download(req, reply, { runId, kind: 'publicity', format });
  }

  @Public()
  @Post('publicity/:runId/objections')
  @ApiOperation({ summary: 'Object to a claim on the list during the window, with name and contact (public, R-PUB-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: FileObjectionDto })
  object(@Req() req: AuthedRequest, @Param('runId') runId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.objectionFile, { ...body, runId });
  }

  private async download(req: AuthedRequest, reply: FastifyReply, body: Record<string, unknown>): Promise<void> {
    const file = await this.fwd.call<ExportView>(req, S.exportGet, body);
    reply
      .status(200)
      .header('content-type', file.contentType)
      .header('content-disposition', `attachment; filename="${file.filename}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
      .send(Buffer.from(file.content, 'base64'));
  }
}

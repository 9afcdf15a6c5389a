import { Body, Controller, Get, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@vc/auth';
import {
  AuditPage,
  AuditQueryDto,
  DecideObjectionDto,
  DecideClaimObjectionsDto,
  ClaimObjectionsDecidedView,
  ExportView,
  FileObjectionDto,
  GradeProviderDto,
  GradeView,
  InstructionPage,
  ListInstructionsDto,
  ListObjectionsDto,
  ListRunClaimsDto,
  ListRunsDto,
  MatchingCheckDto,
  MatchingCheckResult,
  MatchingRecordedView,
  MatchingReportDto,
  MatchingReportView,
  ObjectionPage,
  ObjectionView,
  PROGRAMME_ID_PATTERN,
  PublicityPage,
  PublicityQueryDto,
  QuarantinePage,
  QuarantineQueryDto,
  RecordMatchingDto,
  ReviewResult,
  ReviewRunDto,
  RewardPage,
  RewardQueryDto,
  RunClaimPage,
  RunPage,
  RunView,
  StartRunDto,
  StatementQueryDto,
  StatementView,
  Subjects,
} from '@vc/contracts';
import { ErrorCode as E } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { PublicDocumentsCache } from '../http/public-documents.cache';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.settlement;
const BOOLEAN_QUERY = new Set(['sampled', 'overdueOnly', 'detail']);
const INTEGER_QUERY = new Set(['year', 'sampleRateBp']);

const CSV = 'text/csv';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PDF = 'application/pdf';
/** ISO 20022 pain.001: the run's payment instructions as its bank takes them (ADR 0009) */
const XML = 'application/xml';
/** Refusals of a download: its data may be too large for one reply (the CLI writes those files). */
const FILE_REFUSALS = [E.VALIDATION_FAILED, E.NOT_FOUND, E.ILLEGAL_STATE, E.PAYLOAD_TOO_LARGE];
const PUBLIC_DOCUMENT_DESCRIPTION =
  'Rendered once when the run is published and again when its public state changes, then served as stored, with an `ETag` and `Cache-Control: public, max-age=60`; ' +
  'a request with `If-None-Match` naming the current ETag is answered 304 without a body. Just after publication, until it is rendered: 503 UNAVAILABLE (retry in a few seconds).';

/** Query strings are text: booleans and a few integers become JSON types for the service's DTOs. */
function query(q: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out = Forwarder.query(q);
  for (const [k, v] of Object.entries(out)) {
    if (BOOLEAN_QUERY.has(k) && (v === 'true' || v === 'false')) out[k] = v === 'true';
    if (INTEGER_QUERY.has(k) && typeof v === 'string' && /^-?\d{1,9}$/.test(v)) out[k] = Number(v);
  }
  return { ...out, ...extra };
}

/** HTTP routes of the settlement service, forwarded over NATS (SPEC 5.6–5.8). */
@ApiTags('settlement')
@Controller('v1')
export class SettlementHttpController {
  constructor(private readonly fwd: Forwarder, private readonly publicDocuments: PublicDocumentsCache) {}

  @Post('settlement/runs')
  @ApiOp({
    id: 'startRun',
    summary: 'Start the quarterly run of a programme: collect claims, draw the inspection sample (programme operator)',
    body: StartRunDto,
    example: { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 500 },
    reply: RunView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ALREADY_EXISTS, E.QUARTER_NOT_ENDED, E.CALENDAR_YEAR_MISSING],
  })
  startRun(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.runStart, body);
  }

  @Get('settlement/runs')
  @ApiOp({ id: 'listRuns', summary: 'Settlement runs of the programmes the principal oversees (paged)', query: ListRunsDto, reply: RunPage })
  listRuns(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.runList, query(q));
  }

  @Get('settlement/runs/:runId')
  @ApiOp({ id: 'getRun', summary: 'A settlement run with its counts, publicity window and instructions total', reply: RunView, refusals: [E.VALIDATION_FAILED, E.NOT_FOUND] })
  getRun(@Req() req: AuthedRequest, @Param('runId') runId: string) {
    return this.fwd.call(req, S.runGet, { runId });
  }

  @Get('settlement/runs/:runId/claims')
  @ApiOp({
    id: 'listRunClaims',
    summary: "A run's claims by state, sampled or payee (paged)",
    query: { dto: ListRunClaimsDto, omit: ['runId'] },
    reply: RunClaimPage,
    refusals: [E.NOT_FOUND],
  })
  listRunClaims(@Req() req: AuthedRequest, @Param('runId') runId: string, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.claimList, query(q, { runId }));
  }

  @Post('settlement/runs/:runId/review')
  @ApiOp({
    id: 'reviewRun',
    summary: 'Approve, reject (with reason) or return claims; approveAll spares sampled and flagged ones',
    body: { dto: ReviewRunDto, omit: ['runId'] },
    example: { decisions: [{ claimId: '873ceb66-3b1f-4a7e-9d2c-6f0e1a2b3c4d', decision: 'reject', reason: '现场核查服务未实际发生' }], approveAll: true },
    reply: ReviewResult,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  reviewRun(@Req() req: AuthedRequest, @Param('runId') runId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.runReview, { ...body, runId });
  }

  @Post('settlement/runs/:runId/publish')
  @ApiOp({
    id: 'publishRun',
    summary: 'Publish the approved list for publicityWorkingDays working days (R-PUB-1)',
    reply: RunView,
    idempotency: 'required',
    refusals: [E.VALIDATION_FAILED, E.NOT_FOUND, E.ILLEGAL_STATE, E.REVIEW_INCOMPLETE, E.RUN_COUNTERS_DIFFER, E.CALENDAR_YEAR_MISSING],
  })
  publishRun(@Req() req: AuthedRequest, @Param('runId') runId: string) {
    return this.fwd.call(req, S.runPublish, { runId });
  }

  @Post('settlement/runs/:runId/disburse')
  @ApiOp({
    id: 'disburseRun',
    summary: 'Write payment instructions and pay, or resume a disbursement (idempotent, R-PAY-1)',
    description: 'Safe to repeat: a repeat finds each step done and never writes a second instruction or payment.',
    reply: RunView,
    idempotency: 'optional',
    refusals: [E.VALIDATION_FAILED, E.NOT_FOUND, E.ILLEGAL_STATE, E.PUBLICITY_OPEN, E.RUN_LOCKED],
  })
  disburseRun(@Req() req: AuthedRequest, @Param('runId') runId: string) {
    return this.fwd.call(req, S.runDisburse, { runId });
  }

  @Get('settlement/runs/:runId/instructions')
  @ApiOp({
    id: 'listInstructions',
    summary: "A run's payment instructions, one per payee (paged), with their total",
    query: { dto: ListInstructionsDto, omit: ['runId'] },
    reply: InstructionPage,
    refusals: [E.NOT_FOUND],
  })
  listInstructions(@Req() req: AuthedRequest, @Param('runId') runId: string, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.instructionList, query(q, { runId }));
  }

  @Get('settlement/runs/:runId/exports/:kind.:format')
  @ApiParam({ name: 'kind', enum: ['instructions', 'publicity', 'statement', 'notice'] })
  @ApiParam({ name: 'format', enum: ['csv', 'xlsx', 'pdf', 'xml'], description: 'csv or xlsx; pdf for the notice; xml for the instructions as an ISO 20022 pain.001.001.10 file' })
  @ApiOp({
    id: 'exportRun',
    summary: 'Download instructions / publicity / statement as csv or xlsx, the notice as pdf, or the instructions as the bank\'s pain.001 xml',
    reply: 'file',
    files: [CSV, XLSX, PDF, XML],
    refusals: [...FILE_REFUSALS, E.BANK_ACCOUNT_MISSING],
  })
  exportRun(@Req() req: AuthedRequest, @Param('runId') runId: string, @Param('kind') kind: string, @Param('format') format: string, @Res() reply: FastifyReply) {
    return this.download(req, reply, { runId, kind, format });
  }

  @Get('settlement/objections')
  @ApiOp({ id: 'listObjections', summary: 'Objections to published claims (operators of the programme, auditors), paged', query: ListObjectionsDto, reply: ObjectionPage })
  listObjections(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.objectionList, query(q));
  }

  @Post('settlement/objections/:objectionId/decision')
  @ApiOp({
    id: 'decideObjection',
    summary: 'Uphold (the claim is rejected) or dismiss (next run) an objection',
    body: { dto: DecideObjectionDto, omit: ['objectionId'] },
    example: { decision: 'dismiss', reason: '经核查服务真实，价格合理' },
    reply: ObjectionView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  decideObjection(@Req() req: AuthedRequest, @Param('objectionId') objectionId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.objectionDecide, { ...body, objectionId });
  }

  @Post('settlement/runs/:runId/claims/:claimId/objection-decision')
  @ApiOp({
    id: 'decideClaimObjections',
    summary: 'Uphold (the claim is rejected) or dismiss (next run) every open objection to a claim at once, duplicates included',
    description: 'The desk examines the claim once: every open objection gets the decision and its reason; a dismissed claim leaves the run for the next one and no objection of this run holds it any more.',
    body: { dto: DecideClaimObjectionsDto, omit: ['runId', 'claimId'] },
    example: { decision: 'dismiss', reason: '经核查服务真实，价格合理；重复异议一并答复' },
    reply: ClaimObjectionsDecidedView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  decideClaimObjections(@Req() req: AuthedRequest, @Param('runId') runId: string, @Param('claimId') claimId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.objectionDecideClaim, { ...body, runId, claimId });
  }

  @Post('settlement/matching/payments')
  @ApiOp({
    id: 'recordMatchingPayments',
    summary: "Record the region's matching payments (region admin, own region only, R-MATCH-1)",
    body: RecordMatchingDto,
    example: { items: [{ obligationId: '5d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d', amountFen: 308641 }], paidOn: '2026-11-02', reference: 'SZ-MATCH-001' },
    reply: MatchingRecordedView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.MATCHING_OVERPAID],
  })
  recordMatchingPayments(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.matchingRecord, body);
  }

  @Get('settlement/matching')
  @ApiOp({ id: 'getMatchingReport', summary: 'Matching owed, paid and overdue, per region and obligation', query: MatchingReportDto, reply: MatchingReportView })
  getMatchingReport(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.matchingReport, query(q));
  }

  @Post('settlement/matching/check')
  @ApiOp({
    id: 'checkMatching',
    summary: 'Flag regions with overdue matching as defaulting, clear those that caught up',
    description: 'A programme operator checks its own province, the delta desk every region. Idempotent by state: a repeat changes nothing.',
    body: MatchingCheckDto,
    example: { note: 'weekly overdue check' },
    reply: MatchingCheckResult,
    idempotency: 'optional',
  })
  checkMatching(@Req() req: AuthedRequest, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.matchingCheck, body ?? {});
  }

  @Get('settlement/statements')
  @ApiOp({ id: 'getStatement', summary: 'Cross-province statement of a quarter or run, with the net view (R-CLEAR-1)', query: StatementQueryDto, reply: StatementView, refusals: [E.NOT_FOUND, E.ILLEGAL_STATE] })
  getStatement(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.statementGet, query(q));
  }

  @Get('settlement/statements/:quarter/export.:format')
  @ApiParam({ name: 'format', enum: ['csv', 'xlsx'] })
  @ApiQuery({ name: 'programmeId', required: false, schema: { type: 'string', pattern: PROGRAMME_ID_PATTERN.source }, description: 'one programme only' })
  @ApiOp({ id: 'exportStatement', summary: 'Download the cross-province statement of a quarter as csv or xlsx', reply: 'file', files: [CSV, XLSX], refusals: FILE_REFUSALS })
  exportStatement(@Req() req: AuthedRequest, @Param('quarter') quarter: string, @Param('format') format: string, @Query() q: Record<string, string>, @Res() reply: FastifyReply) {
    return this.download(req, reply, { kind: 'statement', quarter, format, ...(q.programmeId ? { programmeId: q.programmeId } : {}) });
  }

  @Put('settlement/rewards/grades')
  @ApiOp({
    id: 'gradeProvider',
    summary: "Grade one of the province's providers for the year-end reward",
    body: GradeProviderDto,
    example: { programmeId: 'JS-2026', year: 2026, providerId: 'c9b08214-5d1e-4f4b-9a43-0b6c2f8d1e77', grade: 'excellent' },
    reply: GradeView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND],
  })
  gradeProvider(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.rewardGrade, body);
  }

  @Post('settlement/rewards')
  @ApiOp({
    id: 'computeRewards',
    summary: 'Compute the year-end rewards of a programme after the year closes (R-REWARD-1)',
    body: RewardQueryDto,
    example: { programmeId: 'JS-2026', year: 2026 },
    reply: RewardPage,
    idempotency: 'required',
    refusals: [E.YEAR_NOT_CLOSED],
  })
  computeRewards(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.rewardCompute, body);
  }

  @Get('settlement/rewards')
  @ApiOp({ id: 'listRewards', summary: 'The year-end rewards of a programme', query: RewardQueryDto, reply: RewardPage })
  listRewards(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.rewardList, query(q));
  }

  @Get('settlement/rewards/export.:format')
  @ApiParam({ name: 'format', enum: ['csv', 'xlsx'] })
  @ApiOp({ id: 'exportRewards', summary: 'Download the year-end rewards of a programme as csv or xlsx', query: RewardQueryDto, reply: 'file', files: [CSV, XLSX], refusals: FILE_REFUSALS })
  exportRewards(@Req() req: AuthedRequest, @Param('format') format: string, @Query() q: Record<string, string>, @Res() reply: FastifyReply) {
    return this.download(req, reply, { kind: 'rewards', format, ...query(q) });
  }

  @Get('audit/settlement')
  @ApiOp({ id: 'listSettlementAudit', summary: 'Settlement audit log, paged by `after` (auditors, delta operator)', query: AuditQueryDto, reply: AuditPage })
  listSettlementAudit(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(q));
  }

  @Get('quarantine/settlement')
  @ApiOp({ id: 'listSettlementQuarantine', summary: 'Events settlement received and did not apply (unsigned, foreign, malformed, replayed), paged by `after` (auditors, delta operator)', query: QuarantineQueryDto, reply: QuarantinePage })
  listSettlementQuarantine(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.quarantineList, Forwarder.query(q));
  }

  // ---- public: the publicity page (R-PUB-1: anyone may read the list and object) ----------

  @Public()
  @Get('publicity')
  @ApiOp({ id: 'listPublicity', auth: 'optional', summary: 'Runs whose publicity window is open (public)', query: { dto: PublicityQueryDto, omit: ['runId', 'limit', 'offset'] }, reply: PublicityPage })
  listPublicity(@Req() req: AuthedRequest, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.publicityList, query(q));
  }

  @Public()
  @Get('publicity/:runId')
  @ApiOp({
    id: 'getPublicityList',
    auth: 'optional',
    summary: 'The published list of a run, enterprises included (public, paged)',
    query: { dto: PublicityQueryDto, omit: ['runId', 'programmeId'] },
    reply: PublicityPage,
    refusals: [E.NOT_FOUND],
  })
  getPublicityList(@Req() req: AuthedRequest, @Param('runId') runId: string, @Query() q: Record<string, string>) {
    return this.fwd.call(req, S.publicityList, query(q, { runId }));
  }

  @Public()
  @Get('publicity/:runId/notice.pdf')
  @ApiOp({
    id: 'getPublicityNotice',
    auth: 'optional',
    summary: 'The publicity notice as PDF (public)',
    description: PUBLIC_DOCUMENT_DESCRIPTION,
    reply: 'file',
    files: [PDF],
    refusals: [...FILE_REFUSALS, E.UNAVAILABLE],
  })
  getPublicityNotice(@Req() req: AuthedRequest, @Param('runId') runId: string, @Res() reply: FastifyReply) {
    return this.download(req, reply, { runId, kind: 'notice', format: 'pdf' });
  }

  @Public()
  @Get('publicity/:runId/list.:format')
  @ApiParam({ name: 'format', enum: ['csv', 'xlsx'] })
  @ApiOp({
    id: 'getPublicityFile',
    auth: 'optional',
    summary: 'The published list of a run as csv or xlsx (public)',
    description: PUBLIC_DOCUMENT_DESCRIPTION,
    reply: 'file',
    files: [CSV, XLSX],
    refusals: [...FILE_REFUSALS, E.UNAVAILABLE],
  })
  getPublicityFile(@Req() req: AuthedRequest, @Param('runId') runId: string, @Param('format') format: string, @Res() reply: FastifyReply) {
    return this.download(req, reply, { runId, kind: 'publicity', format });
  }

  @Public()
  @Post('publicity/:runId/objections')
  @ApiOp({
    id: 'fileObjection',
    auth: 'optional',
    summary: 'Object to a claim on the list during the window, with name and contact (public, R-PUB-1)',
    body: { dto: FileObjectionDto, omit: ['runId'] },
    example: { claimId: '873ceb66-3b1f-4a7e-9d2c-6f0e1a2b3c4d', objectorName: '张先生', objectorContact: '13800000000', reason: '该服务合同金额与市场价格明显不符' },
    reply: ObjectionView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.PUBLICITY_CLOSED, E.ILLEGAL_STATE, E.ALREADY_EXISTS, E.OBJECTION_LIMIT],
  })
  fileObjection(@Req() req: AuthedRequest, @Param('runId') runId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.objectionFile, { ...body, runId });
  }

  private async download(req: AuthedRequest, reply: FastifyReply, body: Record<string, unknown>): Promise<void> {
    const send = (doc: { filename: string; contentType: string; bytes: Buffer }) =>
      reply
        .status(200)
        .header('content-type', doc.contentType)
        .header('content-disposition', `attachment; filename="${doc.filename}"; filename*=UTF-8''${encodeURIComponent(doc.filename)}`)
        .send(doc.bytes);
    if ((body.kind === 'notice' || body.kind === 'publicity') && typeof body.runId === 'string') {
      // A public document (the notice, the list): served from the gateway's copy, revalidated by its ETag.
      let other: ExportView | null = null;
      const doc = await this.publicDocuments.get(`${body.runId}/${body.kind}.${body.format}`, async (held) => {
        const file = await this.fwd.call<ExportView>(req, S.exportGet, held ? { ...body, ifNoneMatch: held.etag } : body);
        if (file.notModified && held) return held;
        if (!file.etag) {
          other = file;
          return null;
        }
        return { etag: file.etag, filename: file.filename, contentType: file.contentType, bytes: Buffer.from(file.content, 'base64') };
      });
      if (doc) {
        // the same bytes while the run's public state is the same
        reply.header('etag', doc.etag).header('cache-control', PUBLIC_DOCUMENT_CACHE);
        if (matches(req.headers['if-none-match'], doc.etag)) {
          reply.status(304).send();
          return;
        }
        send(doc);
        return;
      }
      // not a stored public document after all (another format): served as any export
      if (other) {
        const file: ExportView = other;
        reply.header('cache-control', 'private, no-store');
        send({ filename: file.filename, contentType: file.contentType, bytes: Buffer.from(file.content, 'base64') });
        return;
      }
    }
    const file = await this.fwd.call<ExportView>(req, S.exportGet, body);
    reply.header('cache-control', 'private, no-store');
    send({ filename: file.filename, contentType: file.contentType, bytes: Buffer.from(file.content, 'base64') });
  }
}

/**
 * How long a browser or a proxy may keep a public document without asking again: a minute, since
 * an objection or a decision changes the list (settlement renders it again; its ETag changes).
 */
const PUBLIC_DOCUMENT_CACHE = 'public, max-age=60, must-revalidate';

/** Whether an If-None-Match header names this ETag (a list of them, or *). */
function matches(header: string | string[] | undefined, etag: string): boolean {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return false;
  return value.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

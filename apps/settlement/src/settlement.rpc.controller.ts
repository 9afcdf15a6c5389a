import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Public } from '@vc/auth';
import {
  AuditQueryDto,
  BankAccountQueryDto,
  CalendarYearQueryDto,
  ImportBankReportDto,
  ReadinessQueryDto,
  SetBankAccountDto,
  ListCalendarYearsDto,
  LoadCalendarYearDto,
  QuarantineQueryDto,
  DecideObjectionDto,
  DecideClaimObjectionsDto,
  ExportDto,
  FileObjectionDto,
  GradeProviderDto,
  ListInstructionsDto,
  ListObjectionsDto,
  ListRunClaimsDto,
  ListRunsDto,
  MatchingCheckDto,
  MatchingReportDto,
  Principal,
  PublicityQueryDto,
  RecordMatchingDto,
  ReviewRunDto,
  RewardQueryDto,
  RunIdDto,
  StartRunDto,
  StatementQueryDto,
  Subjects,
} from '@vc/contracts';
import { RpcBody, RpcClientAddress, RpcIdempotencyKey, RpcPrincipal } from '@vc/messaging';
import { ReadAuditUseCase, ReadQuarantineUseCase } from '@vc/platform';
import { DisburseUseCase } from './use-cases/disburse.use-case';
import { GetBankAccountUseCase } from './use-cases/bank/get-bank-account.use-case';
import { ImportBankReportUseCase } from './use-cases/bank/import-bank-report.use-case';
import { SetBankAccountUseCase } from './use-cases/bank/set-bank-account.use-case';
import { GetCalendarYearUseCase } from './use-cases/calendar/get-calendar-year.use-case';
import { ListCalendarYearsUseCase } from './use-cases/calendar/list-calendar-years.use-case';
import { LoadCalendarYearUseCase } from './use-cases/calendar/load-calendar-year.use-case';
import { ExportsUseCase } from './use-cases/exports.use-case';
import { DecideClaimObjectionsUseCase } from './use-cases/objections/decide-claim-objections.use-case';
import { FileObjectionUseCase } from './use-cases/objections/file-objection.use-case';
import { MatchingUseCase } from './use-cases/matching.use-case';
import { DecideObjectionUseCase } from './use-cases/objections/decide-objection.use-case';
import { PublicityQueries } from './use-cases/publicity-queries';
import { PublishRunUseCase } from './use-cases/publish-run.use-case';
import { ReadinessUseCase } from './use-cases/readiness.use-case';
import { ReviewUseCase } from './use-cases/review.use-case';
import { RewardsUseCase } from './use-cases/rewards.use-case';
import { RunQueries } from './use-cases/run-queries';
import { StartRunUseCase } from './use-cases/start-run.use-case';
import { StatementUseCase } from './use-cases/statement.use-case';

const S = Subjects.settlement;

/** NATS request-reply interface of settlement; thin: every handler calls one use case. */
@Controller()
export class SettlementRpcController {
  constructor(
    private readonly startRun: StartRunUseCase,
    private readonly runs: RunQueries,
    private readonly review: ReviewUseCase,
    private readonly publishRun: PublishRunUseCase,
    private readonly objectionDecision: DecideObjectionUseCase,
    private readonly publicity: PublicityQueries,
    private readonly disbursement: DisburseUseCase,
    private readonly matching: MatchingUseCase,
    private readonly statements: StatementUseCase,
    private readonly rewards: RewardsUseCase,
    private readonly exports: ExportsUseCase,
    private readonly auditLog: ReadAuditUseCase,
    private readonly loadCalendar: LoadCalendarYearUseCase,
    private readonly listCalendar: ListCalendarYearsUseCase,
    private readonly getCalendar: GetCalendarYearUseCase,
    private readonly setBankAccount: SetBankAccountUseCase,
    private readonly getBankAccount: GetBankAccountUseCase,
    private readonly importBankReport: ImportBankReportUseCase,
    private readonly readiness: ReadinessUseCase,
    private readonly quarantine: ReadQuarantineUseCase,
    private readonly fileObjection: FileObjectionUseCase,
    private readonly decideClaimObjectionsUseCase: DecideClaimObjectionsUseCase,
  ) {}

  @MessagePattern(S.health)
  health() {
    return { status: 'ok', service: 'settlement' };
  }

  @MessagePattern(S.runStart)
  start(@RpcPrincipal() p: Principal, @RpcBody(StartRunDto) dto: StartRunDto, @RpcIdempotencyKey() key?: string) {
    return this.startRun.execute(p, dto, key);
  }

  @MessagePattern(S.runGet)
  get(@RpcPrincipal() p: Principal, @RpcBody(RunIdDto) dto: RunIdDto) {
    return this.runs.get(p, dto);
  }

  @MessagePattern(S.runList)
  list(@RpcPrincipal() p: Principal, @RpcBody(ListRunsDto) dto: ListRunsDto) {
    return this.runs.list(p, dto);
  }

  @MessagePattern(S.claimList)
  claims(@RpcPrincipal() p: Principal, @RpcBody(ListRunClaimsDto) dto: ListRunClaimsDto) {
    return this.runs.claims(p, dto);
  }

  @MessagePattern(S.instructionList)
  instructions(@RpcPrincipal() p: Principal, @RpcBody(ListInstructionsDto) dto: ListInstructionsDto) {
    return this.runs.instructions(p, dto);
  }

  @MessagePattern(S.runReview)
  decide(@RpcPrincipal() p: Principal, @RpcBody(ReviewRunDto) dto: ReviewRunDto, @RpcIdempotencyKey() key?: string) {
    return this.review.execute(p, dto, key);
  }

  @MessagePattern(S.runPublish)
  publish(@RpcPrincipal() p: Principal, @RpcBody(RunIdDto) dto: RunIdDto, @RpcIdempotencyKey() key?: string) {
    return this.publishRun.execute(p, dto, key);
  }

  /**
   * Idempotent and resumable by the run's state (R-PAY-1): a retry needs no idempotency key; with
   * one, a repeat of the key returns the first reply, as on every other mutation.
   */
  @MessagePattern(S.runDisburse)
  disburse(@RpcPrincipal() p: Principal, @RpcBody(RunIdDto) dto: RunIdDto, @RpcIdempotencyKey() key?: string) {
    return this.disbursement.request(p, dto, key);
  }

  /** R-PUB-1: the public publicity page reads the list without an account. */
  @Public()
  @MessagePattern(S.publicityList)
  publicityList(@RpcBody(PublicityQueryDto) dto: PublicityQueryDto) {
    return this.publicity.list(dto);
  }

  /** R-PUB-1: anyone may object, named and reachable; a token, if any, is recorded too. */
  @Public()
  @MessagePattern(S.objectionFile)
  object(
    @RpcPrincipal() p: Principal | undefined,
    @RpcBody(FileObjectionDto) dto: FileObjectionDto,
    @RpcIdempotencyKey() key?: string,
    @RpcClientAddress() address?: string,
  ) {
    return this.fileObjection.execute(p, dto, key, address);
  }

  /** The desk examines a claim: one decision on all its open objections. */
  @MessagePattern(S.objectionDecideClaim)
  decideClaimObjections(@RpcPrincipal() p: Principal, @RpcBody(DecideClaimObjectionsDto) dto: DecideClaimObjectionsDto, @RpcIdempotencyKey() key?: string) {
    return this.decideClaimObjectionsUseCase.execute(p, dto, key);
  }

  @MessagePattern(S.objectionDecide)
  decideObjection(@RpcPrincipal() p: Principal, @RpcBody(DecideObjectionDto) dto: DecideObjectionDto, @RpcIdempotencyKey() key?: string) {
    return this.objectionDecision.execute(p, dto, key);
  }

  @MessagePattern(S.objectionList)
  objections(@RpcPrincipal() p: Principal, @RpcBody(ListObjectionsDto) dto: ListObjectionsDto) {
    return this.publicity.objections(p, dto);
  }

  @MessagePattern(S.matchingRecord)
  recordMatching(@RpcPrincipal() p: Principal, @RpcBody(RecordMatchingDto) dto: RecordMatchingDto, @RpcIdempotencyKey() key?: string) {
    return this.matching.record(p, dto, key);
  }

  @MessagePattern(S.matchingReport)
  matchingReport(@RpcPrincipal() p: Principal, @RpcBody(MatchingReportDto) dto: MatchingReportDto) {
    return this.matching.report(p, dto);
  }

  @MessagePattern(S.matchingCheck)
  matchingCheck(@RpcPrincipal() p: Principal, @RpcBody(MatchingCheckDto) dto: MatchingCheckDto, @RpcIdempotencyKey() key?: string) {
    return this.matching.check(p, dto, key);
  }

  @MessagePattern(S.statementGet)
  statement(@RpcPrincipal() p: Principal, @RpcBody(StatementQueryDto) dto: StatementQueryDto) {
    return this.statements.get(p, dto);
  }

  @MessagePattern(S.rewardGrade)
  grade(@RpcPrincipal() p: Principal, @RpcBody(GradeProviderDto) dto: GradeProviderDto, @RpcIdempotencyKey() key?: string) {
    return this.rewards.grade(p, dto, key);
  }

  @MessagePattern(S.rewardCompute)
  computeRewards(@RpcPrincipal() p: Principal, @RpcBody(RewardQueryDto) dto: RewardQueryDto, @RpcIdempotencyKey() key?: string) {
    return this.rewards.compute(p, dto, key);
  }

  @MessagePattern(S.rewardList)
  listRewards(@RpcPrincipal() p: Principal, @RpcBody(RewardQueryDto) dto: RewardQueryDto) {
    return this.rewards.list(p, dto);
  }

  /** Downloads; the publicity list and notice of a published run are public. */
  @Public()
  @MessagePattern(S.exportGet)
  export(@RpcPrincipal() p: Principal | undefined, @RpcBody(ExportDto) dto: ExportDto) {
    return this.exports.execute(p, dto);
  }

  @MessagePattern(S.auditList)
  audit(@RpcPrincipal() p: Principal, @RpcBody(AuditQueryDto) dto: AuditQueryDto) {
    return this.auditLog.execute(p, dto);
  }

  /** SPEC 3: the working-day calendar is operations data, loaded by the delta desk. */
  @MessagePattern(S.calendarLoad)
  calendarLoad(@RpcPrincipal() p: Principal, @RpcBody(LoadCalendarYearDto) dto: LoadCalendarYearDto, @RpcIdempotencyKey() key?: string) {
    return this.loadCalendar.execute(p, dto, key);
  }

  @MessagePattern(S.calendarList)
  calendarList(@RpcPrincipal() p: Principal, @RpcBody(ListCalendarYearsDto) dto: ListCalendarYearsDto) {
    return this.listCalendar.execute(p, dto);
  }

  @MessagePattern(S.calendarGet)
  calendarGet(@RpcPrincipal() p: Principal, @RpcBody(CalendarYearQueryDto) dto: CalendarYearQueryDto) {
    return this.getCalendar.execute(p, dto);
  }

  /** SPEC 5.6 step 3: the accounts payment files name, and the bank's answers to them. */
  @MessagePattern(S.bankAccountSet)
  bankAccountSet(@RpcPrincipal() p: Principal, @RpcBody(SetBankAccountDto) dto: SetBankAccountDto, @RpcIdempotencyKey() key?: string) {
    return this.setBankAccount.execute(p, dto, key);
  }

  @MessagePattern(S.bankAccountGet)
  bankAccountGet(@RpcPrincipal() p: Principal, @RpcBody(BankAccountQueryDto) dto: BankAccountQueryDto) {
    return this.getBankAccount.execute(p, dto);
  }

  @MessagePattern(S.bankReportImport)
  bankReportImport(@RpcPrincipal() p: Principal, @RpcBody(ImportBankReportDto) dto: ImportBankReportDto, @RpcIdempotencyKey() key?: string) {
    return this.importBankReport.execute(p, dto, key);
  }

  /** Whether settlement has heard of a programme, enterprise, region yet (reads lag writes). */
  @MessagePattern(S.readinessGet)
  readinessGet(@RpcPrincipal() p: Principal, @RpcBody(ReadinessQueryDto) dto: ReadinessQueryDto) {
    return this.readiness.execute(p, dto);
  }

  /** Events received and not applied (EventConsumer), for the delta desk and auditors. */
  @MessagePattern(S.quarantineList)
  quarantined(@RpcPrincipal() p: Principal, @RpcBody(QuarantineQueryDto) dto: QuarantineQueryDto) {
    return this.quarantine.execute(p, dto);
  }
}

import { Module } from '@nestjs/common';
import { ReadAuditUseCase, ServiceDefinition } from '@vc/platform';
import { CalendarWatch } from './jobs/calendar-watch.job';
import { MatchingCheckJob } from './jobs/matching-check.job';
import { ProjectionConsumer } from './consumers/projection.consumer';
import { settlementMigrations } from './migrations';
import { SettlementRpcController } from './settlement.rpc.controller';
import { ConfirmPayments } from './use-cases/confirm-payments';
import { DisburseUseCase } from './use-cases/disburse.use-case';
import { GetBankAccountUseCase } from './use-cases/bank/get-bank-account.use-case';
import { ImportBankReportUseCase } from './use-cases/bank/import-bank-report.use-case';
import { SetBankAccountUseCase } from './use-cases/bank/set-bank-account.use-case';
import { GetCalendarYearUseCase } from './use-cases/calendar/get-calendar-year.use-case';
import { ListCalendarYearsUseCase } from './use-cases/calendar/list-calendar-years.use-case';
import { LoadCalendarYearUseCase } from './use-cases/calendar/load-calendar-year.use-case';
import { ExportsUseCase } from './use-cases/exports.use-case';
import { RenderPublicDocumentsUseCase } from './use-cases/public-documents/render-public-documents.use-case';
import { PublicDocumentsJob } from './jobs/public-documents.job';
import { DecideClaimObjectionsUseCase } from './use-cases/objections/decide-claim-objections.use-case';
import { FileObjectionUseCase } from './use-cases/objections/file-objection.use-case';
import { MatchingUseCase } from './use-cases/matching.use-case';
import { DecideObjectionUseCase } from './use-cases/objections/decide-objection.use-case';
import { PublicityQueries } from './use-cases/publicity-queries';
import { PublishRunUseCase } from './use-cases/publish-run.use-case';
import { ReadinessUseCase } from './use-cases/readiness.use-case';
import { ReviewUseCase } from './use-cases/review.use-case';
import { RewardsUseCase } from './use-cases/rewards.use-case';
import { AdvanceRunUseCase } from './use-cases/advance-run.use-case';
import { OutputFilesUseCase } from './use-cases/output-files.use-case';
import { RecountRunUseCase } from './use-cases/recount-run.use-case';
import { RunQueries } from './use-cases/run-queries';
import { StartRunUseCase } from './use-cases/start-run.use-case';
import { StatementUseCase } from './use-cases/statement.use-case';

/** The use cases, shared by the NATS service and the batch CLI. */
export const SETTLEMENT_USE_CASES = [
  StartRunUseCase,
  RecountRunUseCase,
  RunQueries,
  AdvanceRunUseCase,
  OutputFilesUseCase,
  ReviewUseCase,
  PublishRunUseCase,
  DecideObjectionUseCase,
  PublicityQueries,
  DisburseUseCase,
  ConfirmPayments,
  MatchingUseCase,
  StatementUseCase,
  RewardsUseCase,
  ExportsUseCase,
  ReadAuditUseCase,
  LoadCalendarYearUseCase,
  ListCalendarYearsUseCase,
  GetCalendarYearUseCase,
  SetBankAccountUseCase,
  GetBankAccountUseCase,
  ImportBankReportUseCase,
  ReadinessUseCase,
  FileObjectionUseCase,
  DecideClaimObjectionsUseCase,
  RenderPublicDocumentsUseCase,
];

@Module({
  controllers: [SettlementRpcController],
  providers: [...SETTLEMENT_USE_CASES, ProjectionConsumer, MatchingCheckJob, CalendarWatch, PublicDocumentsJob],
})
export class SettlementModule {}

export const settlementService: ServiceDefinition = {
  name: 'settlement',
  schema: 'settlement',
  migrations: settlementMigrations,
  feature: SettlementModule,
};

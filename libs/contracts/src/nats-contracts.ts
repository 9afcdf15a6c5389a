import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, IsString } from 'class-validator';
import { ApiInstant, ApiText } from './api-docs';
import { ReadinessQueryDto, ServiceArrivalView } from './readiness.dto';
import { BankAccountQueryDto, BankAccountSetView, BankAccountView, BankReportView, ImportBankReportDto, SetBankAccountDto } from './bank.dto';
import { ConfirmClaimsDto, ConfirmClaimsView, QuarantinePage, QuarantineQueryDto } from './bus.dto';
import { CalendarLoadView, CalendarYearQueryDto, CalendarYearsView, CalendarYearView, ListCalendarYearsDto, LoadCalendarYearDto } from './calendar.dto';
import {
  ClaimQuotaDto,
  CreateProgrammeDto,
  CreateRegionDto,
  DecideEnterpriseDto,
  EnterpriseIdDto,
  EnterprisePage,
  EnterpriseView,
  ListEnterprisesDto,
  ListProgrammesDto,
  ListRegionsDto,
  ProgrammeDetailView,
  ProgrammeIdDto,
  ProgrammePage,
  ProgrammeView,
  QuotaClaimView,
  QuotaQueryDto,
  QuotaView,
  RegionIdDto,
  RegionPage,
  RegionView,
  RegisterEnterpriseDto,
  SetSmeRegistrationDto,
  UpdateProgrammeDto,
  UpdateRegionDto,
} from './issuance.dto';
import {
  AmendClaimDto,
  BalanceQueryDto,
  BalanceView,
  CancelOrderDto,
  ClaimIdDto,
  ClaimPage,
  ClaimView,
  CreateOrderDto,
  LapseQuotaDto,
  ListClaimsDto,
  ListOrdersDto,
  OrderIdDto,
  OrderPage,
  OrderView,
  QuotaLapseView,
  SubmitClaimDto,
  VoucherQuoteView,
} from './redemption.dto';
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
  ProviderIdDto,
  ProviderPage,
  ProviderView,
  PublishServiceDto,
  RepairCreditRecordDto,
  ReviewProviderDto,
  ServiceOfferingPage,
  ServiceOfferingView,
  SetExclusionDto,
} from './registry.dto';
import {
  DecideObjectionDto,
  DecideClaimObjectionsDto,
  ClaimObjectionsDecidedView,
  ExportDto,
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
  PublicityPage,
  PublicityQueryDto,
  RecordMatchingDto,
  ReviewResult,
  ReviewRunDto,
  RewardPage,
  RewardQueryDto,
  RunClaimPage,
  RunIdDto,
  RunPage,
  RunView,
  StartRunDto,
  StatementQueryDto,
  StatementView,
} from './settlement.dto';
import { Subjects } from './subjects';

/** The request of a health check: an empty object. */
export class EmptyDto {}

export class HealthReplyView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiText({ description: 'the service that answered' }) service: string;
}

/** `<service>.clock.set` (CLOCK_MODE=simulated only; refused in production). */
export class SetClockDto {
  @IsString() @IsISO8601() now: string;
}

export class ClockView {
  @ApiInstant() now: string;
}

/** What one request-reply subject takes and answers (docs/asyncapi.json). */
export interface RequestContract {
  summary: string;
  /** the body: a DTO class validated by the service (validateDto) */
  request: Function;
  /** the `data` of an `{ok: true}` reply: a view class */
  reply: Function;
  /** a mutation names an Idempotency-Key ('optional' where its effect is idempotent by state) */
  idempotency?: 'required' | 'optional';
  /** who may call without a token (the public publicity page); otherwise a bearer token */
  auth?: 'bearer' | 'optional';
}

const R = Subjects.registry;
const I = Subjects.issuance;
const D = Subjects.redemption;
const S = Subjects.settlement;
const write = { idempotency: 'required' } as const;

/**
 * Every request-reply subject of the services with its request and reply, declared once: the
 * AsyncAPI document is generated from it (scripts/contracts), and a test checks it against the
 * services' handlers (the DTO each one validates its body with).
 */
export const REQUEST_CONTRACTS: Record<string, RequestContract> = {
  [R.health]: { summary: 'Is the registry up', request: EmptyDto, reply: HealthReplyView, auth: 'optional' },
  [R.clockSet]: { summary: 'Move the simulated business clock of every registry instance (delta operator; CLOCK_MODE=simulated only)', request: SetClockDto, reply: ClockView },
  [R.providerApply]: { summary: 'Apply to the provider registry (R-REG-1)', request: ApplyProviderDto, reply: ProviderView, ...write },
  [R.providerReview]: { summary: 'Admit or reject a provider waiting for review (delta operator)', request: ReviewProviderDto, reply: ProviderView, ...write },
  [R.providerGet]: { summary: 'A provider unit of the registry', request: ProviderIdDto, reply: ProviderView },
  [R.providerList]: { summary: 'Search the registry (paged)', request: ListProvidersDto, reply: ProviderPage },
  [R.providerEligibility]: { summary: 'May this provider take new voucher orders of a programme (R-REG-2..4)?', request: EligibilityDto, reply: EligibilityView },
  [R.serviceOfferingPublish]: { summary: 'Publish a service with its price (R-REG-2)', request: PublishServiceDto, reply: ServiceOfferingView, ...write },
  [R.serviceOfferingList]: { summary: 'Services of active providers (paged)', request: ListServicesDto, reply: ServiceOfferingPage },
  [R.complaintFile]: { summary: 'File a complaint against a provider (R-REG-3)', request: FileComplaintDto, reply: ComplaintView, ...write },
  [R.complaintDecide]: { summary: 'Uphold or dismiss a complaint (R-REG-3)', request: DecideComplaintDto, reply: ComplaintDecisionView, ...write },
  [R.complaintList]: { summary: 'Complaints visible to the principal', request: ListComplaintsDto, reply: ComplaintPage },
  [R.creditFile]: { summary: 'File a credit record against a legal entity (R-REG-4)', request: FileCreditRecordDto, reply: CreditRecordFiledView, ...write },
  [R.creditRepair]: { summary: 'Approve a credit repair', request: RepairCreditRecordDto, reply: CreditRecordRepairedView, ...write },
  [R.creditList]: { summary: 'Credit records', request: ListCreditRecordsDto, reply: CreditRecordPage },
  [R.exclusionSet]: { summary: "Exclude a provider from one programme's vouchers (R-REG-2)", request: SetExclusionDto, reply: ExclusionView, ...write },
  [R.exclusionLift]: { summary: 'Lift an exclusion', request: LiftExclusionDto, reply: ExclusionView, ...write },
  [R.auditList]: { summary: 'Registry audit log (auditors, delta operator)', request: AuditQueryDto, reply: AuditPage },

  [I.health]: { summary: 'Is issuance up', request: EmptyDto, reply: HealthReplyView, auth: 'optional' },
  [I.clockSet]: { summary: 'Move the simulated business clock of every issuance instance (delta operator; CLOCK_MODE=simulated only)', request: SetClockDto, reply: ClockView },
  [I.programmeCreate]: { summary: "Draft the operator's programme for a year (SPEC 4)", request: CreateProgrammeDto, reply: ProgrammeView, ...write },
  [I.programmeUpdate]: { summary: 'Change the parameters: in place while draft, a new version once open (R-PROG-1)', request: UpdateProgrammeDto, reply: ProgrammeView, ...write },
  [I.programmeOpen]: { summary: 'Open a draft programme (R-PROG-1)', request: ProgrammeIdDto, reply: ProgrammeView, ...write },
  [I.programmeClose]: { summary: 'Close an open programme', request: ProgrammeIdDto, reply: ProgrammeView, ...write },
  [I.programmeGet]: { summary: 'A programme with every version', request: ProgrammeIdDto, reply: ProgrammeDetailView },
  [I.programmeList]: { summary: 'Programmes by province and year', request: ListProgrammesDto, reply: ProgrammePage },
  [I.regionCreate]: { summary: 'Register a linked region of the operator\'s province', request: CreateRegionDto, reply: RegionView, ...write },
  [I.regionUpdate]: { summary: 'Change the matching ratio, withdraw or re-admit a region', request: UpdateRegionDto, reply: RegionView, ...write },
  [I.regionGet]: { summary: 'A linked region', request: RegionIdDto, reply: RegionView },
  [I.regionList]: { summary: 'Linked regions', request: ListRegionsDto, reply: RegionPage },
  [I.enterpriseRegister]: { summary: 'Register an enterprise in its linked region (R-ENT-1)', request: RegisterEnterpriseDto, reply: EnterpriseView, ...write },
  [I.enterpriseDecide]: { summary: "The region's admin approves or rejects (R-ENT-1)", request: DecideEnterpriseDto, reply: EnterpriseView, ...write },
  [I.enterpriseSetSme]: { summary: 'File the SME registration number for a year (R-ENT-2)', request: SetSmeRegistrationDto, reply: EnterpriseView, ...write },
  [I.enterpriseGet]: { summary: 'An enterprise', request: EnterpriseIdDto, reply: EnterpriseView },
  [I.enterpriseList]: { summary: 'Enterprises (paged)', request: ListEnterprisesDto, reply: EnterprisePage },
  [I.quotaClaim]: { summary: 'Claim quota of the current year up to the cap (R-QUOTA-1)', request: ClaimQuotaDto, reply: QuotaClaimView, ...write },
  [I.quotaGet]: { summary: 'Claims and remaining cap per year', request: QuotaQueryDto, reply: QuotaView },
  [I.auditList]: { summary: 'Issuance audit log (auditors, delta operator)', request: AuditQueryDto, reply: AuditPage },
  [I.quarantineList]: { summary: 'Events issuance received and did not apply, with why (auditors, delta operator)', request: QuarantineQueryDto, reply: QuarantinePage },

  [D.health]: { summary: 'Is redemption up', request: EmptyDto, reply: HealthReplyView, auth: 'optional' },
  [D.clockSet]: { summary: 'Move the simulated business clock of every redemption instance (delta operator; CLOCK_MODE=simulated only)', request: SetClockDto, reply: ClockView },
  [D.orderCreate]: { summary: 'A provider offers an enterprise an order for the actual service amount A (R-ORDER-1)', request: CreateOrderDto, reply: OrderView, ...write },
  [D.orderConfirm]: { summary: "A party's confirmation; the second fixes the programme version (R-PROG-1)", request: OrderIdDto, reply: OrderView, ...write },
  [D.orderQuote]: { summary: 'What the voucher would pay now (R-OFFSET-1)', request: OrderIdDto, reply: VoucherQuoteView },
  [D.orderPay]: { summary: 'Pay with the voucher: quota and budget taken once, atomically (R-OFFSET-1..2)', request: OrderIdDto, reply: OrderView, ...write },
  [D.orderCancel]: { summary: 'Cancel before completion (R-OFFSET-3)', request: CancelOrderDto, reply: OrderView, ...write },
  [D.orderComplete]: { summary: 'The service of a paid order was delivered', request: OrderIdDto, reply: OrderView, ...write },
  [D.orderGet]: { summary: 'An order of the principal', request: OrderIdDto, reply: OrderView },
  [D.orderList]: { summary: 'Orders of the principal (paged)', request: ListOrdersDto, reply: OrderPage },
  [D.claimSubmit]: { summary: 'The redemption claim of a completed order with its evidence (R-CLAIM-1..2)', request: SubmitClaimDto, reply: ClaimView, ...write },
  [D.claimAmend]: { summary: 'Amend a claim pending review or returned (R-CLAIM-3)', request: AmendClaimDto, reply: ClaimView, ...write },
  [D.claimGet]: { summary: 'A redemption claim', request: ClaimIdDto, reply: ClaimView },
  [D.claimList]: { summary: 'Redemption claims (paged)', request: ListClaimsDto, reply: ClaimPage },
  [D.balanceGet]: { summary: "Budget left of a programme and an enterprise's quota", request: BalanceQueryDto, reply: BalanceView },
  [D.readinessGet]: { summary: 'Whether redemption has heard of a provider, enterprise, programme yet (reads lag writes)', request: ReadinessQueryDto, reply: ServiceArrivalView },
  [D.quotaLapse]: { summary: 'Lapse the unused quota of an ended year (R-QUOTA-2)', request: LapseQuotaDto, reply: QuotaLapseView, ...write },
  [D.auditList]: { summary: 'Redemption audit log (auditors, delta operator)', request: AuditQueryDto, reply: AuditPage },
  [D.quarantineList]: { summary: 'Events redemption received and did not apply, with why (auditors, delta operator)', request: QuarantineQueryDto, reply: QuarantinePage },
  [D.claimConfirm]: {
    summary: "Settlement only, with its service credentials: confirm the claims a run is about to pay against redemption's records (no NATS user but settlement's may send it)",
    request: ConfirmClaimsDto,
    reply: ConfirmClaimsView,
  },

  [S.health]: { summary: 'Is settlement up', request: EmptyDto, reply: HealthReplyView, auth: 'optional' },
  [S.clockSet]: { summary: 'Move the simulated business clock of every settlement instance (delta operator; CLOCK_MODE=simulated only)', request: SetClockDto, reply: ClockView },
  [S.runStart]: { summary: 'Start the quarterly run of a programme', request: StartRunDto, reply: RunView, ...write },
  [S.runGet]: { summary: 'A settlement run', request: RunIdDto, reply: RunView },
  [S.runList]: { summary: 'Settlement runs (paged)', request: ListRunsDto, reply: RunPage },
  [S.claimList]: { summary: "A run's claims (paged)", request: ListRunClaimsDto, reply: RunClaimPage },
  [S.instructionList]: { summary: "A run's payment instructions (paged)", request: ListInstructionsDto, reply: InstructionPage },
  [S.runReview]: { summary: 'Approve, reject or return claims of a run', request: ReviewRunDto, reply: ReviewResult, ...write },
  [S.runPublish]: { summary: 'Publish the approved list (R-PUB-1)', request: RunIdDto, reply: RunView, ...write },
  [S.runDisburse]: { summary: 'Write payment instructions and pay, or resume (R-PAY-1)', request: RunIdDto, reply: RunView, idempotency: 'optional' },
  [S.publicityList]: { summary: 'Runs in publicity, or the published list of one run (public)', request: PublicityQueryDto, reply: PublicityPage, auth: 'optional' },
  [S.objectionFile]: { summary: 'Object to a claim on the list during the window (public, R-PUB-1)', request: FileObjectionDto, reply: ObjectionView, auth: 'optional', ...write },
  [S.objectionDecide]: { summary: 'Uphold or dismiss an objection', request: DecideObjectionDto, reply: ObjectionView, ...write },
  [S.objectionDecideClaim]: { summary: 'Uphold or dismiss every open objection of a claim at once (R-PUB-1)', request: DecideClaimObjectionsDto, reply: ClaimObjectionsDecidedView, ...write },
  [S.objectionList]: { summary: 'Objections (paged)', request: ListObjectionsDto, reply: ObjectionPage },
  [S.matchingRecord]: { summary: "Record the region's matching payments (R-MATCH-1)", request: RecordMatchingDto, reply: MatchingRecordedView, ...write },
  [S.matchingReport]: { summary: 'Matching owed, paid and overdue', request: MatchingReportDto, reply: MatchingReportView },
  [S.matchingCheck]: { summary: 'Flag defaulting regions, clear those that caught up (R-MATCH-1)', request: MatchingCheckDto, reply: MatchingCheckResult, idempotency: 'optional' },
  [S.statementGet]: { summary: 'Cross-province statement (R-CLEAR-1)', request: StatementQueryDto, reply: StatementView },
  [S.rewardGrade]: { summary: 'Grade a provider for the year-end reward', request: GradeProviderDto, reply: GradeView, ...write },
  [S.rewardCompute]: { summary: 'Compute the year-end rewards (R-REWARD-1)', request: RewardQueryDto, reply: RewardPage, ...write },
  [S.rewardList]: { summary: 'The year-end rewards of a programme', request: RewardQueryDto, reply: RewardPage },
  [S.exportGet]: { summary: "A run's file (CSV, XLSX, PDF; the instructions also as pain.001 XML) as base64; the publicity list and notice are public", request: ExportDto, reply: ExportView, auth: 'optional' },
  [S.auditList]: { summary: 'Settlement audit log (auditors, delta operator)', request: AuditQueryDto, reply: AuditPage },
  [S.quarantineList]: { summary: 'Events settlement received and did not apply, with why (auditors, delta operator)', request: QuarantineQueryDto, reply: QuarantinePage },
  [S.calendarLoad]: { summary: "Load a year's working-day schedule (delta operator, SPEC 3)", request: LoadCalendarYearDto, reply: CalendarLoadView, ...write },
  [S.calendarList]: { summary: 'The loaded calendar years', request: ListCalendarYearsDto, reply: CalendarYearsView },
  [S.calendarGet]: { summary: "One year's schedule", request: CalendarYearQueryDto, reply: CalendarYearView },
  [S.bankAccountSet]: { summary: "A programme's paying account (its operator) or a payee's receiving account (the payee); a change is a new version (ADR 0009)", request: SetBankAccountDto, reply: BankAccountSetView, ...write },
  [S.bankAccountGet]: { summary: 'The current bank account of a programme or payee', request: BankAccountQueryDto, reply: BankAccountView },
  [S.readinessGet]: { summary: 'Whether settlement has heard of a programme, enterprise, region yet (reads lag writes)', request: ReadinessQueryDto, reply: ServiceArrivalView },
  [S.bankReportImport]: { summary: "The bank's answer to a run's pain.001 file (pain.002 or camt.054): instructions settled or returned (programme operator)", request: ImportBankReportDto, reply: BankReportView, ...write },
};

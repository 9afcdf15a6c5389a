/**
 * Every NATS subject of the system, declared once. Request-reply: `<service>.<entity>.<verb>`;
 * events on JetStream: `voucher.events.<entity>.<past-tense>`.
 */
export const Subjects = {
  registry: {
    health: 'registry.health.check',
    /** CLOCK_MODE=simulated only: a delta operator moves the business clock of every registry instance (no queue group) */
    clockSet: 'registry.clock.set',
    providerApply: 'registry.provider.apply',
    providerReview: 'registry.provider.review',
    providerGet: 'registry.provider.get',
    providerList: 'registry.provider.list',
    providerEligibility: 'registry.provider.eligibility',
    serviceOfferingPublish: 'registry.service.publish',
    serviceOfferingList: 'registry.service.list',
    complaintFile: 'registry.complaint.file',
    complaintDecide: 'registry.complaint.decide',
    complaintList: 'registry.complaint.list',
    creditFile: 'registry.credit.file',
    creditRepair: 'registry.credit.repair',
    creditList: 'registry.credit.list',
    exclusionSet: 'registry.exclusion.set',
    exclusionLift: 'registry.exclusion.lift',
    auditList: 'registry.audit.list',
  },
  issuance: {
    health: 'issuance.health.check',
    /** CLOCK_MODE=simulated only: a delta operator moves the business clock of every issuance instance (no queue group) */
    clockSet: 'issuance.clock.set',
    programmeCreate: 'issuance.programme.create',
    programmeUpdate: 'issuance.programme.update',
    programmeOpen: 'issuance.programme.open',
    programmeClose: 'issuance.programme.close',
    programmeGet: 'issuance.programme.get',
    programmeList: 'issuance.programme.list',
    regionCreate: 'issuance.region.create',
    regionUpdate: 'issuance.region.update',
    regionGet: 'issuance.region.get',
    regionList: 'issuance.region.list',
    enterpriseRegister: 'issuance.enterprise.register',
    enterpriseDecide: 'issuance.enterprise.decide',
    enterpriseSetSme: 'issuance.enterprise.set-sme',
    enterpriseGet: 'issuance.enterprise.get',
    enterpriseList: 'issuance.enterprise.list',
    quotaClaim: 'issuance.quota.claim',
    quotaGet: 'issuance.quota.get',
    // no issuance.quota.lapse: the year-end lapse runs where the balance lives, redemption.quota.lapse (ADR 0003)
    auditList: 'issuance.audit.list',
    /** events this service received and did not apply (unsigned, foreign, malformed…), for operators and auditors */
    quarantineList: 'issuance.quarantine.list',
  },
  redemption: {
    health: 'redemption.health.check',
    /** CLOCK_MODE=simulated only: a delta operator moves the business clock of every redemption instance (no queue group) */
    clockSet: 'redemption.clock.set',
    orderCreate: 'redemption.order.create',
    orderConfirm: 'redemption.order.confirm',
    orderQuote: 'redemption.order.quote',
    orderPay: 'redemption.order.pay',
    orderCancel: 'redemption.order.cancel',
    orderComplete: 'redemption.order.complete',
    orderGet: 'redemption.order.get',
    orderList: 'redemption.order.list',
    claimSubmit: 'redemption.claim.submit',
    claimAmend: 'redemption.claim.amend',
    claimGet: 'redemption.claim.get',
    claimList: 'redemption.claim.list',
    balanceGet: 'redemption.balance.get',
    /** whether redemption has heard of a provider, enterprise, programme (reads lag writes: docs/DEVELOPING.md) */
    readinessGet: 'redemption.readiness.get',
    /** R-QUOTA-2: year-end lapse of unused quota (programme operator, delta desk or a service job) */
    quotaLapse: 'redemption.quota.lapse',
    auditList: 'redemption.audit.list',
    quarantineList: 'redemption.quarantine.list',
    /**
     * Settlement, with its service credentials, confirms the claims it is about to pay against
     * redemption's own records (claim, payee, V, state) before it writes instructions.
     */
    claimConfirm: 'redemption.claim.confirm',
  },
  settlement: {
    health: 'settlement.health.check',
    /** CLOCK_MODE=simulated only: a delta operator moves the business clock of every settlement instance (no queue group) */
    clockSet: 'settlement.clock.set',
    runStart: 'settlement.run.start',
    runGet: 'settlement.run.get',
    runList: 'settlement.run.list',
    runReview: 'settlement.run.review',
    runPublish: 'settlement.run.publish',
    runDisburse: 'settlement.run.disburse',
    claimList: 'settlement.claim.list',
    publicityList: 'settlement.publicity.list',
    objectionFile: 'settlement.objection.file',
    objectionDecide: 'settlement.objection.decide',
    objectionDecideClaim: 'settlement.objection.decideClaim',
    matchingRecord: 'settlement.matching.record',
    matchingReport: 'settlement.matching.report',
    statementGet: 'settlement.statement.get',
    rewardCompute: 'settlement.reward.compute',
    rewardGrade: 'settlement.reward.grade',
    auditList: 'settlement.audit.list',
    instructionList: 'settlement.instruction.list',
    objectionList: 'settlement.objection.list',
    /** R-MATCH-1: flag regions with overdue matching as defaulting, clear those that caught up */
    matchingCheck: 'settlement.matching.check',
    rewardList: 'settlement.reward.list',
    /** a run's outputs as a file (CSV, XLSX, PDF), base64 in the reply */
    exportGet: 'settlement.export.get',
    /** SPEC 3: a delta operator loads a year's State Council schedule (a correction is a new version) */
    calendarLoad: 'settlement.calendar.load',
    /** the loaded years (current versions, or the whole history) and whether this and next year are there */
    calendarList: 'settlement.calendar.list',
    /** one year's schedule, every date written out (current version, or a given one) */
    calendarGet: 'settlement.calendar.get',
    /** a programme's paying account (its operator) or a payee's receiving account (the payee itself); a change is a new version */
    bankAccountSet: 'settlement.bank-account.set',
    bankAccountGet: 'settlement.bank-account.get',
    /** the bank's answer to a run's payment file (pain.002 or camt.054): instructions settled or returned */
    bankReportImport: 'settlement.bank-report.import',
    /** whether settlement has heard of a programme, enterprise, region (reads lag writes: docs/DEVELOPING.md) */
    readinessGet: 'settlement.readiness.get',
    quarantineList: 'settlement.quarantine.list',
  },
} as const;

/**
 * The subject on which a service's simulated business clock is set (`{ "now": "<ISO 8601>" }`,
 * delta operator; refused unless CLOCK_MODE=simulated, which production refuses). Every instance
 * subscribes without a queue group, so one request moves them all; the reply comes from the first.
 */
export function clockSetSubject(service: string): string {
  return `${service}.clock.set`;
}

export const EVENT_STREAM = 'VOUCHER_EVENTS';
export const EVENT_SUBJECT_PREFIX = 'voucher.events';

export const Events = {
  providerAdmitted: 'voucher.events.provider.admitted',
  providerApplied: 'voucher.events.provider.applied',
  providerRejected: 'voucher.events.provider.rejected',
  providerRevoked: 'voucher.events.provider.revoked',
  providerSuspended: 'voucher.events.provider.suspended',
  providerReinstated: 'voucher.events.provider.reinstated',
  providerExcluded: 'voucher.events.provider.excluded',
  providerExclusionLifted: 'voucher.events.provider.exclusion-lifted',
  programmeOpened: 'voucher.events.programme.opened',
  programmeVersioned: 'voucher.events.programme.versioned',
  programmeClosed: 'voucher.events.programme.closed',
  regionRegistered: 'voucher.events.region.registered',
  regionUpdated: 'voucher.events.region.updated',
  regionDefaulting: 'voucher.events.region.defaulting',
  regionCaughtUp: 'voucher.events.region.caught-up',
  enterpriseRegistered: 'voucher.events.enterprise.registered',
  enterpriseApproved: 'voucher.events.enterprise.approved',
  enterpriseRejected: 'voucher.events.enterprise.rejected',
  quotaGranted: 'voucher.events.quota.granted',
  quotaLapsed: 'voucher.events.quota.lapsed',
  orderCreated: 'voucher.events.order.created',
  orderConfirmed: 'voucher.events.order.confirmed',
  orderPaid: 'voucher.events.order.paid',
  orderCancelled: 'voucher.events.order.cancelled',
  orderCompleted: 'voucher.events.order.completed',
  claimSubmitted: 'voucher.events.claim.submitted',
  claimAmended: 'voucher.events.claim.amended',
  claimFlagged: 'voucher.events.claim.flagged',
  settlementRunStarted: 'voucher.events.settlement.run-started',
  settlementClaimApproved: 'voucher.events.settlement.claim-approved',
  settlementClaimRejected: 'voucher.events.settlement.claim-rejected',
  settlementClaimReturned: 'voucher.events.settlement.claim-returned',
  settlementClaimPaid: 'voucher.events.settlement.claim-paid',
  /** R-CLAIM-3: settlement's answer to an amendment: applied to its copy, or refused (past review) */
  settlementAmendmentAccepted: 'voucher.events.settlement.amendment-accepted',
  settlementAmendmentRefused: 'voucher.events.settlement.amendment-refused',
  settlementRunPublished: 'voucher.events.settlement.run-published',
  settlementRunDisbursed: 'voucher.events.settlement.run-disbursed',
  matchingRecorded: 'voucher.events.matching.recorded',
  /**
   * Heartbeats of the services whose state others copy: "as of this instant you have had every event
   * of mine". On the subject of the events they vouch for, so they arrive in the same order (bus.ts COPIES).
   */
  providerHeartbeat: 'voucher.events.provider.heartbeat',
  programmeHeartbeat: 'voucher.events.programme.heartbeat',
} as const;

/** The settlement decisions whose events name each claim's order, V and reason (SettlementClaimsEvent); the others name the claims alone. */
export const SETTLEMENT_DETAILED_DECISIONS: readonly string[] = [Events.settlementClaimRejected, Events.settlementClaimReturned];

/** The envelope of every event on the stream; `id` is the JetStream Nats-Msg-Id. */
export interface EventEnvelope<T = Record<string, unknown>> {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  occurredAt: string;
  correlationId?: string;
  payload: T;
}

import { RedemptionInit1764000000201 } from './1764000000201-redemption-init';
import { RedemptionRefusalOrder1764000000202 } from './1764000000202-redemption-refusal-order';
import { RedemptionPayBatch1764000000203 } from './1764000000203-redemption-pay-batch';
import { RedemptionProviderVersion1764000000204 } from './1764000000204-redemption-provider-version';
import { RedemptionClaimDecisionTime1764000000205 } from './1764000000205-redemption-claim-decision-time';
import { RedemptionQuarantine1764000000206 } from './1764000000206-redemption-quarantine';
import { RedemptionInvoiceIdentity1764000000207 } from './1764000000207-redemption-invoice-identity';
import { RedemptionCopyFreshness1764000000208 } from './1764000000208-redemption-copy-freshness';
import { RedemptionStoredRefusals1764000000209 } from './1764000000209-redemption-stored-refusals';
import { RedemptionPaymentRefusals1764000000210 } from './1764000000210-redemption-payment-refusals';
import { RedemptionPaymentRefusalsStored1764000000211 } from './1764000000211-redemption-payment-refusals-stored';
import { RedemptionPartyOf1764000000212 } from './1764000000212-redemption-party-of';

export const redemptionMigrations = [
  RedemptionInit1764000000201,
  RedemptionRefusalOrder1764000000202,
  RedemptionPayBatch1764000000203,
  RedemptionProviderVersion1764000000204,
  RedemptionClaimDecisionTime1764000000205,
  RedemptionQuarantine1764000000206,
  RedemptionInvoiceIdentity1764000000207,
  RedemptionCopyFreshness1764000000208,
  RedemptionStoredRefusals1764000000209,
  RedemptionPaymentRefusals1764000000210,
  RedemptionPaymentRefusalsStored1764000000211,
  RedemptionPartyOf1764000000212,
];

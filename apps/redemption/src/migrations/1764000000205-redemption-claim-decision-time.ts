import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When settlement took the decision last applied to each claim (its event's occurredAt): the
 * consumer applies a decision only over an older one, so approved → returned → approved across
 * runs ends as settlement ended it whatever order the events arrive in (R-CLAIM-3).
 */
export class RedemptionClaimDecisionTime1764000000205 implements MigrationInterface {
  name = 'RedemptionClaimDecisionTime1764000000205';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE redemption.claims ADD COLUMN settlement_decided_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE redemption.claims DROP COLUMN settlement_decided_at`);
  }
}

import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { Principal, QuarantinedEventView, QuarantinePage, QuarantineQueryDto, Role } from '@vc/contracts';
import { UnitOfWork } from './unit-of-work';

/**
 * The events a service received and did not apply (libs/messaging EventConsumer), for the delta desk
 * and auditors: each with why, who signed it (as it claims), and the message as received.
 */
@Injectable()
export class ReadQuarantineUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: QuarantineQueryDto): Promise<QuarantinePage> {
    requireRole(principal, Role.Auditor, Role.DeltaOperator);
    const limit = dto.limit ?? 100;
    const items = await this.uow.query<QuarantinedEventView>(
      `SELECT id::text, received_at AS "receivedAt", consumer, subject, stream_seq::float8 AS "streamSeq", reason, detail,
              event_id AS "eventId", event_type AS "eventType", signer, key_id AS "keyId", headers, body, body_bytes AS "bodyBytes"
         FROM "${this.uow.schema}".quarantined_events
        WHERE id > $1::bigint AND ($2::text IS NULL OR reason = $2)
        ORDER BY id LIMIT $3`,
      [dto.after ?? '0', dto.reason ?? null, limit],
    );
    return { items, nextAfter: items.length === limit ? items[items.length - 1].id : null };
  }
}

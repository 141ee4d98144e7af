import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/principal';
import { uuidv7 } from '../ids/uuid';
import { entityManagerOf, Tx } from '../persistence/transaction';
import { Clock, CLOCK } from '../time/clock';
import { AuditEventEntity } from './audit-event.entity';
import { currentRequestId } from '../observability/request-context';

export interface AuditEntry {
  actor: Actor;
  /** dotted, stable: 'tenant.created', 'api_key.revoked' */
  action: string;
  tenantId: string | null;
  targetType: string;
  targetId: string | null;
  /** never secrets: names of changed fields, reasons, roles */
  data?: Record<string, unknown>;
}

@Injectable()
export class AuditWriter {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async record(tx: Tx, entry: AuditEntry): Promise<void> {
    const now = this.clock.now();
    await entityManagerOf(tx).insert(AuditEventEntity, {
      id: uuidv7(now.getTime()),
      occurredAt: now,
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      tenantId: entry.tenantId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      data: entry.data ?? {},
      requestId: currentRequestId() ?? null,
    });
  }
}

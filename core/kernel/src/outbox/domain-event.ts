/** A fact that happened in a context; written to the outbox in the changing transaction. */
export interface DomainEvent {
  /** dotted, stable: 'tenancy.tenant_created' */
  type: string;
  tenantId?: string | null;
  payload: Record<string, unknown>;
}

/** What consumers receive from the outbox relay. */
export interface PublishedEvent extends DomainEvent {
  id: string;
  occurredAt: string;
}

/** The BullMQ queue that the outbox relay feeds. */
export const DOMAIN_EVENTS_QUEUE = 'domain-events';

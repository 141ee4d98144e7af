import { Inject, Injectable } from '@nestjs/common';
import { DomainEventConsumer, MAILER, Mailer, PublishedEvent, Tx } from '@werkbank/kernel';
import { TenantRepository } from '../../infrastructure/persistence/tenancy.repositories';

const SUBJECTS: Record<string, string> = {
  'tenancy.tenant_suspended': 'Your Werkbank workspace has been suspended',
  'tenancy.tenant_resumed': 'Your Werkbank workspace is active again',
  'tenancy.tenant_closed': 'Your Werkbank workspace has been closed',
};

/** Tells a tenant's billing contact when its workspace is suspended, resumed or closed. */
@Injectable()
export class TenantStatusNotifier implements DomainEventConsumer {
  readonly name = 'tenancy.tenant-status-notifier';

  constructor(
    private readonly tenants: TenantRepository,
    @Inject(MAILER) private readonly mailer: Mailer,
  ) {}

  handles(type: string): boolean {
    return type in SUBJECTS;
  }

  async handle(tx: Tx, event: PublishedEvent): Promise<(() => Promise<void>) | void> {
    const tenant = await this.tenants.findById(tx, String(event.payload.tenantId));
    if (!tenant) return;
    const reason = event.payload.reason ? `\nReason: ${String(event.payload.reason)}` : '';
    const message = { to: tenant.billingEmail, subject: SUBJECTS[event.type], text: `${SUBJECTS[event.type]} (${tenant.name}) at ${String(event.payload.at)}.${reason}` };
    return () => this.mailer.send(message);
  }
}

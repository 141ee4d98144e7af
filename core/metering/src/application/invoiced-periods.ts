import { Injectable } from '@nestjs/common';
import type { Tx } from '@werkbank/kernel';

/**
 * The seam for billing's period rules. Usage for an invoiced period is still accepted (billing
 * re-rates it by the late-usage rule, from `metering.usage_recorded`), but it can no longer be
 * voided: a correction there is a credit note. Until billing exists no period is invoiced;
 * billing replaces this provider (same token) with one that knows its invoices.
 */
@Injectable()
export class InvoicedPeriods {
  async isInvoiced(_tx: Tx, _tenantId: string, _at: Date): Promise<boolean> {
    return false;
  }
}

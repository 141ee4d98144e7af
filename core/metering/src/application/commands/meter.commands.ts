import { Command, Query } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '@werkbank/tenancy';
import type { MeterDefinitionInput } from '../../domain/meter';
import type { MeterView } from '../views';

/** Registers an operator meter; the identical definition again is answered with the existing meter. */
export class CreateMeterCommand extends Command<{ meter: MeterView; created: boolean }> {
  constructor(readonly principal: TenancyPrincipal, readonly input: MeterDefinitionInput) {
    super();
  }
}

export class ListMetersQuery extends Query<MeterView[]> {}

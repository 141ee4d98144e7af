import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, ProblemException, Problems, TransactionRunner } from '@werkbank/kernel';
import { isOperatorAdmin } from '@werkbank/tenancy';
import { definitionProblems, sameDefinition } from '../../domain/meter';
import { MeterRepository } from '../../infrastructure/persistence/meter.repository';
import { MeterCatalog } from '../meter-catalog';
import { toMeterView } from '../views';
import { CreateMeterCommand, ListMetersQuery } from './meter.commands';

export const METER_CREATED = 'metering.meter_created';

@CommandHandler(CreateMeterCommand)
export class CreateMeterHandler implements ICommandHandler<CreateMeterCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly meters: MeterRepository,
    private readonly catalog: MeterCatalog,
    private readonly audit: AuditWriter,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, input }: CreateMeterCommand) {
    if (!isOperatorAdmin(principal)) throw Problems.forbidden('auth.forbidden', 'Only an operator admin registers meters.');
    const problems = definitionProblems(input);
    if (problems.length) throw Problems.validation(problems);
    const result = await this.tx.run(async (tx) => {
      const now = this.clock.now();
      const inserted = await this.meters.insertMissing(tx, [{ ...input, owner: 'operator' }], now);
      const meter = (await this.meters.get(tx, input.key))!;
      if (inserted.length === 0) {
        if (sameDefinition(meter, input)) return { meter, created: false };
        throw new ProblemException(409, 'meter.exists', 'Meter exists', `Meter "${input.key}" is already registered with another definition (unit "${meter.unit}", aggregation ${meter.aggregation}, owner ${meter.owner}); meters cannot be changed.`, { meter: toMeterView(meter) });
      }
      await this.audit.record(tx, { actor: actorOf(principal), action: 'meter.created', tenantId: null, targetType: 'meter', targetId: meter.key, data: { unit: meter.unit, aggregation: meter.aggregation } });
      await this.outbox.append(tx, { type: METER_CREATED, payload: { key: meter.key, unit: meter.unit, aggregation: meter.aggregation, owner: meter.owner } });
      return { meter, created: true };
    });
    this.catalog.invalidate();
    return { meter: toMeterView(result.meter), created: result.created };
  }
}

@QueryHandler(ListMetersQuery)
export class ListMetersHandler implements IQueryHandler<ListMetersQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly meters: MeterRepository) {}
  async execute() {
    return (await this.meters.all(this.tx.reader())).map(toMeterView);
  }
}

export const METER_HANDLERS = [CreateMeterHandler, ListMetersHandler];

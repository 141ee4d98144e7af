import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { CLOCK, Clock, ConfigError, TransactionRunner } from '@werkbank/kernel';
import { MeterRegistry, PLUGINS_VARIABLE } from '@werkbank/plugin-host';
import type { MeterDefinitionInput } from '../domain/meter';
import { conflictingField, pluginOwner } from '../domain/meter';
import { MeterRepository } from '../infrastructure/persistence/meter.repository';
import { MeterCatalog } from './meter-catalog';

/** A plugin declares a meter key that exists with another meaning: start-up stops (printed without stack trace). */
export class MeterConflictError extends ConfigError {
  constructor(problems: string[]) {
    super(problems);
    this.name = 'MeterConflictError';
    this.message = `Plugin meters conflict with registered meters (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee docs/metering.md#meters.`;
  }
}

/**
 * Writes the loaded plugins' meters into the meters table at start-up (api and worker): a new
 * key is inserted with the plugin as owner; an existing one with the same unit and aggregation
 * is adopted (its owner stays); a different meaning stops start-up with a MeterConflictError.
 */
@Injectable()
export class MeterSynchronizer implements OnModuleInit {
  private readonly logger = new Logger('MeterSynchronizer');

  constructor(
    private readonly repository: MeterRepository,
    private readonly catalog: MeterCatalog,
    private readonly tx: TransactionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly registry?: MeterRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.synchronize();
  }

  async synchronize(): Promise<{ inserted: string[]; adopted: string[] }> {
    const declared = (this.registry?.meters() ?? []).flatMap((m) => {
      const owner = m.declaredBy.find((o) => o.kind === 'plugin');
      return owner?.kind === 'plugin' ? [{ ...m, pluginId: owner.pluginId }] : [];
    });
    if (declared.length === 0) return { inserted: [], adopted: [] };
    const result = await this.tx.run(async (tx) => {
      const definitions: Array<MeterDefinitionInput & { owner: string }> = declared.map((m) => ({
        key: m.key, unit: m.unit, aggregation: m.aggregation, description: m.description,
        valueProperty: m.valueProperty ?? null, dimensions: m.dimensions ?? [], owner: pluginOwner(m.pluginId),
      }));
      const inserted = new Set(await this.repository.insertMissing(tx, definitions, this.clock.now()));
      const existing = new Map((await this.repository.all(tx)).map((m) => [m.key, m]));
      const problems: string[] = [];
      const adopted: string[] = [];
      for (const [i, d] of definitions.entries()) {
        if (inserted.has(d.key)) continue;
        const meter = existing.get(d.key);
        if (!meter) continue;
        const field = conflictingField(meter, d);
        if (field) {
          const incoming = field === 'valueProperty' ? d.valueProperty : d[field];
          problems.push(
            `plugin "${declared[i].pluginId}" declares meter "${d.key}" with ${field} "${incoming ?? ''}", but it is registered with ${field} "${meter[field] ?? ''}" ` +
            `(unit "${meter.unit}", aggregation ${meter.aggregation}${meter.valueProperty ? `, valueProperty "${meter.valueProperty}"` : ''}, owner ${meter.owner}). ` +
            `A meter key must mean one quantity: leave the plugin out (${PLUGINS_VARIABLE}) or use a version of it that declares the meter like the registered one.`,
          );
        } else if (meter.owner === d.owner) {
          await this.repository.refreshDetails(tx, d.key, { description: d.description, dimensions: d.dimensions ?? [], valueProperty: d.valueProperty ?? null });
        } else {
          adopted.push(d.key);
        }
      }
      if (problems.length) throw new MeterConflictError(problems);
      return { inserted: [...inserted], adopted };
    });
    this.catalog.invalidate();
    if (result.inserted.length) this.logger.log({ msg: `registered ${result.inserted.length} plugin meter(s)`, meters: result.inserted });
    if (result.adopted.length) this.logger.log({ msg: `plugins adopted ${result.adopted.length} existing meter(s)`, meters: result.adopted });
    return result;
  }
}

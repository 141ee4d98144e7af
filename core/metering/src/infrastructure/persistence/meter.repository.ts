import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';
import type { Meter, MeterDefinitionInput } from '../../domain/meter';
import { MeterEntity } from './metering.entities';

const toMeter = (e: MeterEntity): Meter => ({
  key: e.key, unit: e.unit, aggregation: e.aggregation, description: e.description, valueProperty: e.valueProperty,
  dimensions: [...e.dimensions], owner: e.owner, createdAt: new Date(e.createdAt),
});

@Injectable()
export class MeterRepository {
  async all(tx: Tx): Promise<Meter[]> {
    return (await entityManagerOf(tx).find(MeterEntity, { order: { key: 'ASC' } })).map(toMeter);
  }

  async get(tx: Tx, key: string): Promise<Meter | null> {
    const row = await entityManagerOf(tx).findOne(MeterEntity, { where: { key } });
    return row ? toMeter(row) : null;
  }

  /** Inserts the meters whose key is new; returns the keys inserted (a concurrent insert of the same key wins quietly). */
  async insertMissing(tx: Tx, meters: Array<MeterDefinitionInput & { owner: string }>, now: Date): Promise<string[]> {
    if (meters.length === 0) return [];
    const rows: Array<{ key: string }> = await entityManagerOf(tx).query(
      `INSERT INTO meters (key, unit, aggregation, description, value_property, dimensions, owner, created_at)
       SELECT m.key, m.unit, m.aggregation, m.description, m.value_property, ARRAY(SELECT jsonb_array_elements_text(m.dimensions::jsonb)), m.owner, $8
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS m(key, unit, aggregation, description, value_property, dimensions, owner)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [
        meters.map((m) => m.key), meters.map((m) => m.unit), meters.map((m) => m.aggregation), meters.map((m) => m.description),
        meters.map((m) => m.valueProperty ?? null), meters.map((m) => JSON.stringify(m.dimensions ?? [])), meters.map((m) => m.owner), now,
      ],
    );
    return rows.map((r) => r.key);
  }

  /** A plugin's newer manifest may describe its own meter better (description, dimensions); unit and aggregation never change. */
  async refreshDetails(tx: Tx, key: string, details: { description: string; dimensions: readonly string[]; valueProperty: string | null }): Promise<void> {
    await entityManagerOf(tx).update(MeterEntity, { key }, { description: details.description, dimensions: [...details.dimensions], valueProperty: details.valueProperty });
  }
}

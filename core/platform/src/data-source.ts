import { KERNEL_ENTITIES, KERNEL_MIGRATIONS } from '@werkbank/kernel';
import { METERING_ENTITIES, METERING_MIGRATIONS } from '@werkbank/metering';
import { PROVISIONING_ENTITIES, PROVISIONING_MIGRATIONS } from '@werkbank/provisioning';
import { TENANCY_ENTITIES, TENANCY_MIGRATIONS } from '@werkbank/tenancy';
import { DataSource, DataSourceOptions } from 'typeorm';

/** Every context's entities and migrations, wired in one place. Schema changes only by migration. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: [...KERNEL_ENTITIES, ...TENANCY_ENTITIES, ...PROVISIONING_ENTITIES, ...METERING_ENTITIES],
    migrations: [...KERNEL_MIGRATIONS, ...TENANCY_MIGRATIONS, ...PROVISIONING_MIGRATIONS, ...METERING_MIGRATIONS],
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: 20 },
  };
}

export async function runMigrations(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(databaseUrl));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const m of applied) log(`applied migration ${m.name}`);
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

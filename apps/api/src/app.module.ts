import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createValidationPipe, IdempotencyInterceptor, KernelModule, ProblemFilter, WerkbankConfig } from '@werkbank/kernel';
import { TenancyModule } from '@werkbank/tenancy';
import { dataSourceOptions } from '@werkbank/database';

/** The API process: wiring only. */
@Module({})
export class AppModule {
  static forRoot(config: WerkbankConfig, overrides: Array<{ provide: unknown; useValue: unknown }> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), retryAttempts: 3 }),
        KernelModule.forRoot(config, { overrides }),
        TenancyModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}

export * from './data-source';
export * from './api.module';
export * from './worker.module';
export * from './create-api';
export * from './gateway';

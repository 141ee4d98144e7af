export * from './gateway.module';
export { GatewayRuntime, GATEWAY_READINESS_PROBES, GATEWAY_USAGE_SINK } from './gateway.runtime';
export type { GatewayReadinessProbes } from './gateway.runtime';
export { GATEWAY_CONFIG, GATEWAY_VARIABLES, loadGatewayConfig } from './gateway.config';
export type { GatewayConfig } from './gateway.config';
export { UsageIngestionThread } from './infrastructure/usage-ingestion-thread';
export type { IngestionThreadReply, IngestionThreadRequest, UsageSink } from './infrastructure/usage-ingestion-thread';

export * from './gateway.module';
export { GatewayRuntime, GATEWAY_READINESS_PROBES } from './gateway.runtime';
export type { GatewayReadinessProbes } from './gateway.runtime';
export { GATEWAY_CONFIG, GATEWAY_VARIABLES, loadGatewayConfig } from './gateway.config';
export type { GatewayConfig } from './gateway.config';

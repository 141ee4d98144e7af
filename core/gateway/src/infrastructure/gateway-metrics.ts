import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's Prometheus metrics, in the process registry the kernel's MetricsService holds. */
export class GatewayMetrics {
  readonly requestDuration: Histogram<'plugin' | 'route' | 'status'>;
  readonly refusals: Counter<'plugin' | 'code'>;
  readonly upstreamFailures: Counter<'plugin' | 'upstream' | 'reason'>;
  readonly upstreamUp: Gauge<'plugin' | 'upstream'>;
  readonly usageEvents: Counter<'outcome'>;
  readonly ingestFailures: Counter<'from'>;
  readonly usageBuffered: Gauge;
  readonly journalPending: Gauge;

  constructor(registry: Registry, probes: { upstreams(): Array<{ plugin: string; upstream: string; up: boolean }>; buffered(): number; journalPending(): boolean }) {
    const registers = [registry];
    this.requestDuration = new Histogram({
      name: 'werkbank_gateway_request_duration_seconds',
      help: 'Gateway requests by plugin, route pattern and status, until the last byte of the response',
      labelNames: ['plugin', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    });
    this.refusals = new Counter({
      name: 'werkbank_gateway_refusals_total',
      help: 'Requests the gateway answered itself, by problem code (auth, scope, quota, rate limit, upstream errors)',
      labelNames: ['plugin', 'code'] as const,
      registers,
    });
    this.upstreamFailures = new Counter({
      name: 'werkbank_gateway_upstream_failures_total',
      help: 'Upstream connection errors, timeouts and 5xx answers, by node',
      labelNames: ['plugin', 'upstream', 'reason'] as const,
      registers,
    });
    this.upstreamUp = new Gauge({
      name: 'werkbank_gateway_upstream_up',
      help: '1 while an upstream node receives requests, 0 while it is marked down after a failure',
      labelNames: ['plugin', 'upstream'] as const,
      registers,
      collect() {
        for (const { plugin, upstream, up } of probes.upstreams()) this.set({ plugin, upstream }, up ? 1 : 0);
      },
    });
    this.usageEvents = new Counter({
      name: 'werkbank_gateway_usage_events_total',
      help: 'Usage events by outcome: accepted and duplicate (metering has them), rejected (metering refused them), journaled (waiting on disk)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.ingestFailures = new Counter({
      name: 'werkbank_gateway_ingest_failures_total',
      help: 'Batches metering did not take (error or timeout), sent directly or from the journal',
      labelNames: ['from'] as const,
      registers,
    });
    this.usageBuffered = new Gauge({
      name: 'werkbank_gateway_usage_buffered',
      help: 'Usage events in memory, not yet sent to metering or journaled',
      registers,
      collect() {
        this.set(probes.buffered());
      },
    });
    this.journalPending = new Gauge({
      name: 'werkbank_gateway_journal_pending',
      help: '1 while journaled usage waits for delivery to metering',
      registers,
      collect() {
        this.set(probes.journalPending() ? 1 : 0);
      },
    });
  }
}

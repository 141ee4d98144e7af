import { Controller, Get, Header, Headers, Inject, Injectable } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/principal';
import { WERKBANK_CONFIG, WerkbankConfig } from '../config/config';
import { Problems } from '../problem/problem';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'werkbank_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly loginAttempts = new Counter({
    name: 'werkbank_login_attempts_total',
    help: 'Login attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'werkbank_' });
  }
}

/** Compares two secrets in constant time (for their length). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Prometheus scrape endpoint; requires `Authorization: Bearer $METRICS_TOKEN` when that is set. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
  ) {}

  @Public()
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    const token = this.config.metricsToken;
    if (token && !safeEqual(authorization ?? '', `Bearer ${token}`)) {
      throw Problems.unauthorized('metrics.unauthorized', 'Send `Authorization: Bearer <METRICS_TOKEN>`.');
    }
    return this.metrics.registry.metrics();
  }
}

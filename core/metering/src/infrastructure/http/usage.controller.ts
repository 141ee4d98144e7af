import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, BodyLimit, Problems } from '@werkbank/kernel';
import { CurrentPrincipal, TenancyPrincipal } from '@werkbank/tenancy';
import { GetTenantUsageQuery, RecordUsageCommand, VoidUsageCommand } from '../../application/commands/usage.commands';
import type { UsageEventInput } from '../../domain/usage-event';
import { IngestResultDto, RecordUsageDto, UsageDto, UsageQueryDto, VoidResultDto, VoidUsageDto } from './dto/usage.dto';
import { UsageEnvelopePipe } from './usage-envelope.pipe';

/** Body limit of the bulk ingestion route (10,000 events); every other route keeps BODY_LIMIT. */
export const USAGE_BODY_LIMIT = 16 * 1024 * 1024;

const tenantId = new ParseUUIDPipe({ exceptionFactory: () => Problems.notFound('tenant.not_found', 'Tenant') });

@ApiTags('metering')
@ApiBearerAuth()
@Controller({ version: '1' })
export class UsageController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Post('usage/events')
  @HttpCode(200)
  @BodyLimit(USAGE_BODY_LIMIT)
  @ApiOperation({
    summary: 'Record usage events',
    description: 'Up to 10,000 events (body up to 16 MiB). Each event is checked on its own: a well-formed envelope always answers 200 with ' +
      '`accepted`, `duplicates` and the `rejected` events (index, code, message); one bad event never rejects its neighbours. Accepted events ' +
      'are committed before the answer. Deduplication per (tenantId, idempotencyKey) for 45 days: the same content again is a duplicate, ' +
      'other content is rejected with usage.idempotency_conflict. Needs `usage:write` on the events\' tenants. Codes: usage.tenant_not_found, ' +
      'usage.unknown_meter, usage.invalid_quantity, usage.invalid_timestamp, usage.timestamp_in_future, usage.too_old, ' +
      'usage.invalid_idempotency_key, usage.properties_too_large, usage.idempotency_conflict, usage.invalid_event.',
  })
  @ApiBody({ type: RecordUsageDto })
  @ApiOkResponse({ type: IngestResultDto })
  @ApiProblems([400, 401, 413], { 400: 'request.validation_failed: the envelope is not {events: [...]} or holds more than 10,000 events', 413: 'request.body_too_large: above 16 MiB' })
  record(@CurrentPrincipal() principal: TenancyPrincipal, @Body(UsageEnvelopePipe) events: unknown): Promise<IngestResultDto> {
    return this.commands.execute(new RecordUsageCommand(principal, events as UsageEventInput[]));
  }

  @Post('usage/events/void')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Void usage events',
    description: 'Marks the tenant\'s events with these idempotency keys voided: usage queries and billing leave them out; the keys stay ' +
      'used (sending an event again is a duplicate). Operator admins, and reseller admins above the tenant. Events of an invoiced period ' +
      'are not voided (listed in `invoiced`).',
  })
  @ApiOkResponse({ type: VoidResultDto })
  @ApiProblems([400, 401, 403, 404], { 404: 'tenant.not_found' })
  void(@CurrentPrincipal() principal: TenancyPrincipal, @Body() body: VoidUsageDto): Promise<VoidResultDto> {
    return this.commands.execute(new VoidUsageCommand(principal, body.tenantId, body.idempotencyKeys));
  }

  @Get('tenants/:id/usage')
  @ApiOperation({
    summary: 'A tenant\'s usage',
    description: 'Usage per meter (aggregated as the meter says) in [from, to), grouped by meter, local day or hour (the tenant\'s time zone), ' +
      'or a dimension; `subtree=true` adds up the tenant and every tenant below it. Values are decimal strings. Needs `usage:read`.',
  })
  @ApiOkResponse({ type: UsageDto })
  @ApiProblems([400, 401, 403, 404], { 404: 'tenant.not_found' })
  usage(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string, @Query() query: UsageQueryDto): Promise<UsageDto> {
    return this.queries.execute(new GetTenantUsageQuery(principal, id, { ...query, subtree: query.subtree === 'true' }));
  }
}

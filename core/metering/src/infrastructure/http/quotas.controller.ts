import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Put, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Problems } from '@werkbank/kernel';
import { CurrentPrincipal, TenancyPrincipal } from '@werkbank/tenancy';
import type { FastifyReply } from 'fastify';
import { DeleteQuotaCommand, GetEntitlementsQuery, ListQuotasQuery, SetQuotaCommand } from '../../application/commands/quota.commands';
import { EntitlementsDto, QuotaDto, QuotaListDto, SetQuotaDto } from './dto/quota.dto';

const tenantId = new ParseUUIDPipe({ exceptionFactory: () => Problems.notFound('tenant.not_found', 'Tenant') });

@ApiTags('metering')
@ApiBearerAuth()
@Controller({ version: '1' })
export class QuotasController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Put('tenants/:id/quotas/:meter')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set a quota',
    description: 'Per calendar month (tenant\'s time zone), on the tenant\'s own usage of the meter. Hard limit: the gateway refuses beyond it ' +
      '(429 quota.exceeded). Soft and hard limits: reaching 80 % and 100 % emits metering.quota_threshold_reached once per period. ' +
      'Operator admins, and reseller admins above the tenant. 201 when created, 200 when replaced.',
  })
  @ApiOkResponse({ type: QuotaDto })
  @ApiCreatedResponse({ type: QuotaDto })
  @ApiProblems([400, 401, 403, 404], { 404: 'tenant.not_found, meter.not_found' })
  async set(
    @CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string, @Param('meter') meter: string, @Body() body: SetQuotaDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QuotaDto> {
    const { quota, created } = await this.commands.execute(new SetQuotaCommand(principal, id, meter, body));
    if (created) void reply.status(201);
    return quota;
  }

  @Get('tenants/:id/quotas')
  @ApiOperation({ summary: 'A tenant\'s quotas', description: 'With the usage of the current period. Needs `usage:read`.' })
  @ApiOkResponse({ type: QuotaListDto })
  @ApiProblems([401, 403, 404])
  async list(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string): Promise<QuotaListDto> {
    return { items: await this.queries.execute(new ListQuotasQuery(principal, id)) };
  }

  @Delete('tenants/:id/quotas/:meter')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a quota', description: 'Operator admins, and reseller admins above the tenant.' })
  @ApiNoContentResponse()
  @ApiProblems([401, 403, 404], { 404: 'tenant.not_found, quota.not_found' })
  async remove(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string, @Param('meter') meter: string): Promise<void> {
    await this.commands.execute(new DeleteQuotaCommand(principal, id, meter));
  }

  @Get('tenants/:id/entitlements')
  @ApiOperation({
    summary: 'A tenant\'s entitlements',
    description: 'What the gateway decides with: the effective status and every quota with its usage in the current month. Needs `usage:read`.',
  })
  @ApiOkResponse({ type: EntitlementsDto })
  @ApiProblems([401, 403, 404])
  entitlements(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string): Promise<EntitlementsDto> {
    return this.queries.execute(new GetEntitlementsQuery(principal, id));
  }
}

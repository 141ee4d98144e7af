import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Problems } from '@werkbank/kernel';
import type { TenancyPrincipal } from '../../application/access';
import { ChangeTenantStatusCommand, TenantStatusChange } from '../../application/commands/change-tenant-status.command';
import { CreateTenantCommand } from '../../application/commands/create-tenant.command';
import { UpdateTenantCommand } from '../../application/commands/update-tenant.command';
import { GetTenantQuery, ListTenantsQuery } from '../../application/queries/tenancy.queries';
import { CurrentPrincipal } from '../../auth/auth.guard';
import { CreateTenantDto, ListTenantsQueryDto, StatusChangeDto, TenantDto, TenantPageDto, UpdateTenantDto } from './dto/tenant.dto';

/** Ids in paths: a malformed id is simply a tenant that does not exist. */
export const TenantIdPipe = new ParseUUIDPipe({ exceptionFactory: () => Problems.notFound('tenant.not_found', 'Tenant') });

export const IdempotencyKeyHeader = () =>
  ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes the POST safe to retry: the same key and body replay the first response (kept 48 h); the same key with another body answers 422 idempotency.key_reused.' });

@ApiTags('tenants')
@ApiBearerAuth()
@Controller({ path: 'tenants', version: '1' })
export class TenantsController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Post()
  @IdempotencyKeyHeader()
  @ApiOperation({ summary: 'Create a tenant', description: 'Creates a tenant under `parentId` (default: the tenant you administer). Needs an admin role on the parent (or an API key with `tenants:write`). Resellers are created under the operator.' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiProblems([400, 401, 403, 404, 409, 413, 422], { 409: 'tenant.not_active (parent suspended or closed)', 422: 'tenant.reseller_parent, idempotency.key_reused' })
  create(@CurrentPrincipal() principal: TenancyPrincipal, @Body() body: CreateTenantDto): Promise<TenantDto> {
    return this.commands.execute(new CreateTenantCommand(principal, body));
  }

  @Get()
  @ApiOperation({ summary: 'List tenants', description: 'Every tenant in the subtrees you can see (your memberships and everything below them), oldest first, cursor-paginated.' })
  @ApiOkResponse({ type: TenantPageDto })
  @ApiProblems([400, 401])
  list(@CurrentPrincipal() principal: TenancyPrincipal, @Query() query: ListTenantsQueryDto): Promise<TenantPageDto> {
    return this.queries.execute(new ListTenantsQuery(principal, { cursor: query.cursor, limit: query.limit }, { parentId: query.parentId, status: query.status }));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a tenant', description: 'A tenant in your visible subtree; any other id answers 404.' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems([401, 404], { 404: 'tenant.not_found' })
  get(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) id: string): Promise<TenantDto> {
    return this.queries.execute(new GetTenantQuery(principal, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a tenant', description: 'Changes master data (names, addresses, tax and billing details, time zone). Parent and kind cannot change.' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems([400, 401, 403, 404], { 404: 'tenant.not_found' })
  update(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) id: string, @Body() body: UpdateTenantDto): Promise<TenantDto> {
    return this.commands.execute(new UpdateTenantCommand(principal, id, body));
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend a tenant', description: 'Marks the tenant suspended with reason and time: its subtree gets no new sub-tenants, members or API keys, its API keys are refused (403 tenant.suspended), and its services are suspended. Its master data can still be corrected. Done by an administrator above the tenant.' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems([400, 401, 403, 404, 409], { 409: 'tenant.invalid_transition' })
  suspend(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) id: string, @Body() body: StatusChangeDto): Promise<TenantDto> {
    return this.changeStatus(principal, id, 'suspend', body);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a tenant', description: 'Ends a suspension.' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems([400, 401, 403, 404, 409], { 409: 'tenant.invalid_transition' })
  resume(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) id: string, @Body() body: StatusChangeDto): Promise<TenantDto> {
    return this.changeStatus(principal, id, 'resume', body);
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close a tenant', description: 'Ends the customer relationship: revokes its API keys and keeps every record (invoices may still need them). Sub-tenants must be closed first.' })
  @ApiOkResponse({ type: TenantDto })
  @ApiProblems([400, 401, 403, 404, 409], { 409: 'tenant.invalid_transition, tenant.has_open_children' })
  close(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) id: string, @Body() body: StatusChangeDto): Promise<TenantDto> {
    return this.changeStatus(principal, id, 'close', body);
  }

  private changeStatus(principal: TenancyPrincipal, id: string, change: TenantStatusChange, body: StatusChangeDto | undefined): Promise<TenantDto> {
    return this.commands.execute(new ChangeTenantStatusCommand(principal, id, change, body?.reason));
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, PageQueryDto, Problems } from '@werkbank/kernel';
import type { TenancyPrincipal } from '../../application/access';
import { CreateApiKeyCommand, RevokeApiKeyCommand } from '../../application/commands/api-key.command';
import { RevokeInvitationCommand } from '../../application/commands/invitation.command';
import { InviteUserCommand } from '../../application/commands/invite-user.command';
import { RemoveMembershipCommand, SetUserActiveCommand } from '../../application/commands/manage-user.command';
import { GetUserQuery, ListApiKeysQuery, ListAuditEventsQuery, ListInvitationsQuery, ListTenantMembersQuery } from '../../application/queries/tenancy.queries';
import { CurrentPrincipal } from '../../auth/auth.guard';
import { IdempotencyKeyHeader, TenantIdPipe } from './tenants.controller';
import {
  ApiKeyPageDto, AuditEventPageDto, AuditQueryDto, CreateApiKeyDto, CreatedApiKeyDto, InvitationCreatedDto, InvitationPageDto, InviteUserDto, MemberPageDto, UserDto, UserWithMembershipsDto,
} from './dto/user.dto';

const idPipe = (code: string, what: string) => new ParseUUIDPipe({ exceptionFactory: () => Problems.notFound(code, what) });

@ApiTags('invitations')
@ApiBearerAuth()
@Controller({ version: '1' })
export class InvitationsController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Post('tenants/:id/invitations')
  @IdempotencyKeyHeader()
  @ApiOperation({
    summary: 'Invite a person',
    description: 'Offers the person with this e-mail a role on the tenant. Nothing changes for them until they accept with the token from the mail ' +
      '(`POST /v1/auth/invitations/accept`): no membership exists before that. The answer is the same whether or not the address has an account. ' +
      'A new address gets a "set your password" link, an existing account an "accept the invitation" link (SMTP_URL; printed to the log in development); ' +
      'a deactivated account gets no mail. Inviting the same address to the same role again while the invitation is open renews it: a new token, 7 more days, ' +
      'the older link stops working. You cannot grant a role above your own.',
  })
  @ApiCreatedResponse({ type: InvitationCreatedDto })
  @ApiProblems([400, 401, 403, 404, 409, 422], { 403: 'membership.role_too_high, auth.forbidden', 409: 'tenant.not_active', 422: 'membership.invalid_role, idempotency.key_reused' })
  invite(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) tenantId: string, @Body() body: InviteUserDto): Promise<InvitationCreatedDto> {
    return this.commands.execute(new InviteUserCommand(principal, tenantId, body.email, body.role, body.displayName));
  }

  @Get('tenants/:id/invitations')
  @ApiOperation({ summary: 'List open invitations', description: 'Invitations on this tenant that were neither accepted, declined nor revoked (`pending`, or `expired` when nobody answered in time). Needs `users:read`.' })
  @ApiOkResponse({ type: InvitationPageDto })
  @ApiProblems([400, 401, 403, 404])
  list(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) tenantId: string, @Query() page: PageQueryDto): Promise<InvitationPageDto> {
    return this.queries.execute(new ListInvitationsQuery(principal, tenantId, page));
  }

  @Delete('tenants/:id/invitations/:invitationId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an invitation', description: 'The link in the mail stops working at once. Revoking twice is fine; an accepted or declined invitation answers 409. Needs `users:write` and a role at least as high as the invited one.' })
  @ApiNoContentResponse()
  @ApiProblems([401, 403, 404, 409], { 404: 'tenant.not_found, invitation.not_found', 409: 'invitation.not_pending' })
  async revoke(
    @CurrentPrincipal() principal: TenancyPrincipal,
    @Param('id', TenantIdPipe) tenantId: string,
    @Param('invitationId', idPipe('invitation.not_found', 'Invitation')) invitationId: string,
  ): Promise<void> {
    await this.commands.execute(new RevokeInvitationCommand(principal, tenantId, invitationId));
  }
}

@ApiTags('memberships')
@ApiBearerAuth()
@Controller({ version: '1' })
export class MembershipsController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Get('tenants/:id/memberships')
  @ApiOperation({ summary: 'List members of a tenant', description: 'Memberships held directly on this tenant, with their users.' })
  @ApiOkResponse({ type: MemberPageDto })
  @ApiProblems([400, 401, 403, 404])
  members(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) tenantId: string, @Query() page: PageQueryDto): Promise<MemberPageDto> {
    return this.queries.execute(new ListTenantMembersQuery(principal, tenantId, page));
  }

  @Delete('memberships/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a membership', description: 'Takes a role away. The last operator admin cannot be removed.' })
  @ApiNoContentResponse()
  @ApiProblems([401, 403, 404, 409], { 404: 'membership.not_found', 409: 'membership.last_operator_admin' })
  async removeMembership(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', idPipe('membership.not_found', 'Membership')) id: string): Promise<void> {
    await this.commands.execute(new RemoveMembershipCommand(principal, id));
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller({ version: '1' })
export class UsersController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Get('users/:id')
  @ApiOperation({ summary: 'Get a user', description: 'A user with a membership in your visible subtree (or yourself), with the memberships you can see.' })
  @ApiOkResponse({ type: UserWithMembershipsDto })
  @ApiProblems([401, 404], { 404: 'user.not_found' })
  getUser(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', idPipe('user.not_found', 'User')) id: string): Promise<UserWithMembershipsDto> {
    return this.queries.execute(new GetUserQuery(principal, id));
  }

  @Post('users/:id/deactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivate a user', description: 'Blocks login and ends every session of the account at once. Needs `users:write` over every tenant the user belongs to. Nothing is deleted.' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems([401, 403, 404, 409], { 409: 'user.already_deactivated' })
  deactivate(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', idPipe('user.not_found', 'User')) id: string): Promise<UserDto> {
    return this.commands.execute(new SetUserActiveCommand(principal, id, false));
  }

  @Post('users/:id/reactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reactivate a user', description: 'Undoes a deactivation.' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems([401, 403, 404, 409], { 409: 'user.not_deactivated' })
  reactivate(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', idPipe('user.not_found', 'User')) id: string): Promise<UserDto> {
    return this.commands.execute(new SetUserActiveCommand(principal, id, true));
  }
}

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller({ version: '1' })
export class ApiKeysController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Post('tenants/:id/api-keys')
  @IdempotencyKeyHeader()
  @ApiOperation({ summary: 'Create an API key', description: 'Returns the key (`wbk_...`) once; only its hash is stored. Use it as `Authorization: Bearer wbk_...`. Scope `*` grants everything the tenant may do.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems([400, 401, 403, 404, 409, 422])
  create(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) tenantId: string, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.commands.execute(new CreateApiKeyCommand(principal, tenantId, body.name, body.scopes, body.expiresAt));
  }

  @Get('tenants/:id/api-keys')
  @ApiOperation({ summary: 'List API keys', description: 'Keys of the tenant with prefix, scopes, last use and revocation time; never the secret.' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems([400, 401, 403, 404])
  list(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', TenantIdPipe) tenantId: string, @Query() page: PageQueryDto): Promise<ApiKeyPageDto> {
    return this.queries.execute(new ListApiKeysQuery(principal, tenantId, page));
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key', description: 'The key stops working immediately. Revoking twice is fine.' })
  @ApiNoContentResponse()
  @ApiProblems([401, 403, 404], { 404: 'api_key.not_found' })
  async revoke(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', idPipe('api_key.not_found', 'API key')) id: string): Promise<void> {
    await this.commands.execute(new RevokeApiKeyCommand(principal, id));
  }
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller({ path: 'audit-events', version: '1' })
export class AuditController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'List audit events', description: 'Who changed what, when, on which tenant: every state-changing command within the subtrees where you may read the audit trail, newest first.' })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiProblems([400, 401, 403, 404])
  list(@CurrentPrincipal() principal: TenancyPrincipal, @Query() query: AuditQueryDto): Promise<AuditEventPageDto> {
    return this.queries.execute(new ListAuditEventsQuery(principal, { cursor: query.cursor, limit: query.limit }, { tenantId: query.tenantId, action: query.action }));
  }
}

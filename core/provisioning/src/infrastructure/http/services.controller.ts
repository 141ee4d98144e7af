import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Problems } from '@werkbank/kernel';
import { CurrentPrincipal, TenancyPrincipal } from '@werkbank/tenancy';
import { ChangeEntitlementsCommand, ChangeServiceStateCommand, RequestServiceCommand, RevealCredentialsCommand, RotateCredentialsCommand } from '../../application/commands/service.commands';
import { GetServiceQuery, ListTenantServicesQuery } from '../../application/queries/service.queries';
import { ChangeEntitlementsDto, RequestServiceDto, RevealedCredentialsDto, ServiceInstanceDto, ServiceInstancePageDto, ServicePageQueryDto } from './dto/service.dto';

const serviceId = new ParseUUIDPipe({ exceptionFactory: () => Problems.notFound('service.not_found', 'Service') });
const tenantId = new ParseUUIDPipe({ exceptionFactory: () => Problems.notFound('tenant.not_found', 'Tenant') });

@ApiTags('services')
@ApiBearerAuth()
@Controller({ version: '1' })
export class ServicesController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Post('tenants/:id/services')
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key and body replay the first answer; another body answers 422 idempotency.key_reused.' })
  @ApiOperation({ summary: 'Request a service', description: 'Asks for an instance of a plugin\'s service for the tenant. Provisioning runs in the background: the answer (202) is the instance in state `provisioning`; follow it with GET /v1/services/:id. One live instance per tenant and service.' })
  @ApiAcceptedResponse({ type: ServiceInstanceDto })
  @ApiProblems([400, 401, 403, 404, 409, 422], { 404: 'tenant.not_found, plugin.not_found', 409: 'service.exists, plugin.not_configured, tenant.not_active', 422: 'service.mode_unsupported, service.not_provisionable, idempotency.key_reused' })
  request(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string, @Body() body: RequestServiceDto): Promise<ServiceInstanceDto> {
    return this.commands.execute(new RequestServiceCommand(principal, id, body));
  }

  @Get('tenants/:id/services')
  @ApiOperation({ summary: 'List a tenant\'s services', description: 'All service instances of the tenant, including removed ones (state `deprovisioned`), oldest first.' })
  @ApiOkResponse({ type: ServiceInstancePageDto })
  @ApiProblems([400, 401, 403, 404])
  list(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string, @Query() page: ServicePageQueryDto): Promise<ServiceInstancePageDto> {
    return this.queries.execute(new ListTenantServicesQuery(principal, id, { cursor: page.cursor, limit: page.limit }));
  }

  @Patch('tenants/:id/services/:instanceId')
  @ApiOperation({
    summary: 'Change a service\'s entitlements (operator)',
    description: 'Operator admins only. Sets entitlement values of the instance (keys and types as the plugin declares them in GET /v1/plugins; `null` removes one), ' +
      'applies them at the service (the plugin\'s applyEntitlements) and, for keys with a `quota`, sets the tenant\'s monthly quota of that meter to the value. ' +
      'The gateway sees the change within a few seconds.',
  })
  @ApiOkResponse({ type: ServiceInstanceDto })
  @ApiProblems([400, 401, 403, 404, 409, 502, 503], { 400: 'request.validation_failed', 404: 'service.not_found, tenant.not_found', 409: 'service.deprovisioned, service.failed, plugin.not_configured', 502: 'service.refused', 503: 'service.unavailable' })
  changeEntitlements(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', tenantId) id: string, @Param('instanceId', serviceId) instanceId: string, @Body() body: ChangeEntitlementsDto): Promise<ServiceInstanceDto> {
    return this.commands.execute(new ChangeEntitlementsCommand(principal, id, instanceId, body.entitlements));
  }

  @Get('services/:id')
  @ApiOperation({ summary: 'Get a service', description: 'State, desired state, endpoints, and the history of transitions with timestamps and errors (including retried attempts).' })
  @ApiOkResponse({ type: ServiceInstanceDto })
  @ApiProblems([401, 404], { 404: 'service.not_found' })
  get(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', serviceId) id: string): Promise<ServiceInstanceDto> {
    return this.queries.execute(new GetServiceQuery(principal, id));
  }

  @Post('services/:id/suspend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Suspend a service', description: 'The service stops serving the tenant; data is kept. Runs in the background.' })
  @ApiAcceptedResponse({ type: ServiceInstanceDto })
  @ApiProblems([401, 403, 404, 409], { 409: 'service.deprovisioned, service.failed' })
  suspend(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', serviceId) id: string): Promise<ServiceInstanceDto> {
    return this.commands.execute(new ChangeServiceStateCommand(principal, id, 'suspend'));
  }

  @Post('services/:id/resume')
  @HttpCode(202)
  @ApiOperation({ summary: 'Resume a service', description: 'Undoes a suspension. Runs in the background.' })
  @ApiAcceptedResponse({ type: ServiceInstanceDto })
  @ApiProblems([401, 403, 404, 409], { 409: 'service.deprovisioned, service.failed, tenant.not_active' })
  resume(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', serviceId) id: string): Promise<ServiceInstanceDto> {
    return this.commands.execute(new ChangeServiceStateCommand(principal, id, 'resume'));
  }

  @Delete('services/:id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Remove a service', description: 'Deprovisions the instance at the service. The record stays (state `deprovisioned`) for invoices and audit. Also the way out of `failed`.' })
  @ApiAcceptedResponse({ type: ServiceInstanceDto })
  @ApiProblems([401, 403, 404, 409])
  remove(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', serviceId) id: string): Promise<ServiceInstanceDto> {
    return this.commands.execute(new ChangeServiceStateCommand(principal, id, 'deprovision'));
  }

  @Post('services/:id/credentials')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reveal the credentials once', description: 'Returns the credentials the service issued, decrypted, exactly once. A second call answers 410 credentials.already_revealed; issue new ones with …/credentials/rotate.' })
  @ApiOkResponse({ type: RevealedCredentialsDto })
  @ApiProblems([401, 403, 404, 409, 410], { 409: 'credentials.not_available', 410: 'credentials.already_revealed' })
  reveal(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', serviceId) id: string): Promise<RevealedCredentialsDto> {
    return this.commands.execute(new RevealCredentialsCommand(principal, id));
  }

  @Post('services/:id/credentials/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the credentials', description: 'Has the service issue new credentials (the old ones stop working) and returns them once.' })
  @ApiOkResponse({ type: RevealedCredentialsDto })
  @ApiProblems([401, 403, 404, 409, 422], { 409: 'service.not_active', 422: 'credentials.rotation_unsupported' })
  rotate(@CurrentPrincipal() principal: TenancyPrincipal, @Param('id', serviceId) id: string): Promise<RevealedCredentialsDto> {
    return this.commands.execute(new RotateCredentialsCommand(principal, id));
  }
}

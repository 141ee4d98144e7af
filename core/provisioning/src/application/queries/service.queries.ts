import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { decodeCursor, Page, toPage, TransactionRunner } from '@werkbank/kernel';
import { TenancyPrincipal, TenantDirectory } from '@werkbank/tenancy';
import { ServiceInstanceRepository } from '../../infrastructure/persistence/service-instance.repository';
import { ServiceAccess } from '../service-access';
import { ServiceInstanceView, toInstanceView } from '../views';

export class GetServiceQuery extends Query<ServiceInstanceView> {
  constructor(readonly principal: TenancyPrincipal, readonly instanceId: string) {
    super();
  }
}

export class ListTenantServicesQuery extends Query<Page<ServiceInstanceView>> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly page: { cursor?: string; limit?: number }) {
    super();
  }
}

@QueryHandler(GetServiceQuery)
export class GetServiceHandler implements IQueryHandler<GetServiceQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly access: ServiceAccess, private readonly instances: ServiceInstanceRepository) {}
  async execute({ principal, instanceId }: GetServiceQuery): Promise<ServiceInstanceView> {
    const reader = this.tx.reader();
    const { instance } = await this.access.require(reader, principal, instanceId, 'services:read');
    return toInstanceView(instance, await this.instances.history(reader, instance.id));
  }
}

@QueryHandler(ListTenantServicesQuery)
export class ListTenantServicesHandler implements IQueryHandler<ListTenantServicesQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly tenants: TenantDirectory, private readonly instances: ServiceInstanceRepository) {}
  async execute({ principal, tenantId, page }: ListTenantServicesQuery): Promise<Page<ServiceInstanceView>> {
    const reader = this.tx.reader();
    await this.tenants.requireAccess(reader, principal, tenantId, 'services:read');
    const limit = page.limit ?? 50;
    return toPage(await this.instances.listOfTenant(reader, tenantId, decodeCursor(page.cursor), limit), limit, (i) => toInstanceView(i));
  }
}

export const SERVICE_QUERY_HANDLERS = [GetServiceHandler, ListTenantServicesHandler];

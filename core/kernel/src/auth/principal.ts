import { SetMetadata } from '@nestjs/common';

/** Who is calling: a logged-in user (JWT) or a tenant's API key. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** user id or API key id */
  id: string;
  userId?: string;
  email?: string;
  /** the tenant an API key belongs to */
  tenantId?: string;
  /** API key scopes; users carry ['*'] and are limited by their memberships instead */
  scopes: string[];
}

/** The actor recorded in audit events. */
export interface Actor {
  type: 'user' | 'api_key' | 'system';
  id: string;
}

export function actorOf(principal: Principal): Actor {
  return { type: principal.kind, id: principal.id };
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'system' };

export const IS_PUBLIC = 'werkbank:isPublic';
/** Marks a route that needs no authentication (health, docs, login, token flows, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ApiKeyCache } from './application/api-key-cache';
import { ApiKeyVerifier } from './application/api-key-verifier';
import { CreateApiKeyHandler, RevokeApiKeyHandler } from './application/commands/api-key.handler';
import { ChangeTenantStatusHandler } from './application/commands/change-tenant-status.handler';
import { CreateTenantHandler } from './application/commands/create-tenant.handler';
import { InviteUserHandler } from './application/commands/invite-user.handler';
import { RemoveMembershipHandler, SetUserActiveHandler } from './application/commands/manage-user.handler';
import { LoginHandler, LogoutHandler, RefreshSessionHandler } from './application/commands/session.handler';
import { UpdateTenantHandler } from './application/commands/update-tenant.handler';
import { INVITATION_COMMAND_HANDLERS } from './application/commands/invitation.handler';
import { RequestPasswordResetHandler, ResetPasswordHandler } from './application/commands/user-token.handler';
import { TENANCY_QUERY_HANDLERS } from './application/queries/tenancy-queries.handler';
import { TenantAccess } from './application/tenant-access';
import { BearerAuthGuard } from './auth/auth.guard';
import { BearerStrategy } from './auth/bearer.strategy';
import { LoginRateLimiter } from './auth/login-rate-limiter';
import { TokenService } from './auth/token.service';
import { AuthController, MeController } from './infrastructure/http/auth.controller';
import { TenantsController } from './infrastructure/http/tenants.controller';
import { ApiKeysController, AuditController, InvitationsController, MembershipsController, UsersController } from './infrastructure/http/users.controller';
import { InvitationRepository } from './infrastructure/persistence/invitation.repository';
import { ApiKeyRepository, TenantRepository, TokenRepository, UserRepository } from './infrastructure/persistence/tenancy.repositories';

const COMMAND_HANDLERS = [
  CreateTenantHandler, UpdateTenantHandler, ChangeTenantStatusHandler, InviteUserHandler, ...INVITATION_COMMAND_HANDLERS,
  RequestPasswordResetHandler, ResetPasswordHandler, SetUserActiveHandler, RemoveMembershipHandler,
  CreateApiKeyHandler, RevokeApiKeyHandler, LoginHandler, RefreshSessionHandler, LogoutHandler,
];

/** Operator, resellers, tenants, users, memberships, API keys and authentication. */
@Module({
  imports: [CqrsModule, PassportModule, JwtModule.register({})],
  controllers: [AuthController, MeController, TenantsController, InvitationsController, MembershipsController, UsersController, ApiKeysController, AuditController],
  providers: [
    TenantRepository, UserRepository, TokenRepository, ApiKeyRepository, InvitationRepository,
    TenantAccess, TokenService, LoginRateLimiter, ApiKeyVerifier, ApiKeyCache, BearerStrategy,
    ...COMMAND_HANDLERS, ...TENANCY_QUERY_HANDLERS,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [TokenService],
})
export class TenancyModule {}

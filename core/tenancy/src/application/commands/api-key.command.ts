import { Command } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '../access';
import type { ApiKeyView } from '../views';

export interface CreatedApiKey extends ApiKeyView {
  /** the secret, shown only in this response */
  key: string;
}

export class CreateApiKeyCommand extends Command<CreatedApiKey> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly name: string, readonly scopes: string[], readonly expiresAt?: Date) {
    super();
  }
}

export class RevokeApiKeyCommand extends Command<void> {
  constructor(readonly principal: TenancyPrincipal, readonly apiKeyId: string) {
    super();
  }
}

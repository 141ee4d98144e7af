import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '@werkbank/kernel';

export class RequestServiceDto {
  @ApiProperty({ description: 'Plugin id (see GET /v1/plugins)', example: 'qdrant' })
  @IsString() @MaxLength(100) @Matches(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { message: 'plugin must be a plugin id such as qdrant' })
  plugin!: string;
  @ApiPropertyOptional({ enum: ['shared', 'dedicated'], description: 'Default: the first mode the plugin supports', example: 'shared' })
  @IsOptional() @IsIn(['shared', 'dedicated']) mode?: 'shared' | 'dedicated';
  @ApiPropertyOptional({ description: 'Per-instance options, validated against the plugin\'s instanceOptionsSchema', example: {} })
  @IsOptional() @IsObject() options?: Record<string, unknown>;
}

export class ServicePageQueryDto extends PageQueryDto {}

export class ChangeEntitlementsDto {
  @ApiProperty({
    description: 'Entitlement values to set, by key (the plugin\'s `entitlementKeys`, see GET /v1/plugins), each of its declared type; `null` removes a value. ' +
      'Keys not named keep their value. A key with a `quota` also sets the tenant\'s monthly quota of that meter.',
    example: { 'ollama.modelTiers': ['standard', 'pro'], 'ollama.requestsPerMinute': 120 },
  })
  @IsObject() entitlements!: Record<string, unknown>;
}

class TransitionDto {
  @ApiProperty({ example: 'provisioning' }) from!: string;
  @ApiProperty({ example: 'active' }) to!: string;
  @ApiProperty({ example: '2026-11-23T10:00:05.000Z' }) at!: string;
  @ApiProperty({ type: String, nullable: true, example: 'provision completed' }) reason!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'The service\'s message when a step failed (also for retried attempts)' }) error!: string | null;
  @ApiProperty({ nullable: true, example: 1 }) attempt!: number | null;
}

class CredentialsStateDto {
  @ApiProperty({ description: 'Whether the service issued credentials', example: true }) available!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'When they were shown (they are shown once)', example: null }) revealedAt!: string | null;
}

export class ServiceInstanceDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f70' }) id!: string;
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ example: 'qdrant' }) plugin!: string;
  @ApiProperty({ enum: ['shared', 'dedicated'] }) mode!: string;
  @ApiProperty({ enum: ['requested', 'provisioning', 'active', 'suspending', 'suspended', 'resuming', 'deprovisioning', 'deprovisioned', 'failed'], example: 'active' }) state!: string;
  @ApiProperty({ enum: ['active', 'suspended', 'deprovisioned'], example: 'active' }) desiredState!: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the instance failed, in the service\'s words' }) failureReason!: string | null;
  @ApiProperty({ example: { api: 'https://qdrant.example.org/collections/t-1a2b3c' } }) endpoints!: Record<string, string>;
  @ApiProperty({ example: {} }) options!: Record<string, unknown>;
  @ApiProperty({ description: 'The instance\'s entitlements (keys of the plugin\'s `entitlementKeys`, see GET /v1/plugins); the declared defaults until an operator changes them', example: { 'searxng.monthlyQueryLimit': 10000 } })
  entitlements!: Record<string, unknown>;
  @ApiProperty({ type: CredentialsStateDto }) credentials!: CredentialsStateDto;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-23T10:00:05.000Z' }) updatedAt!: string;
  @ApiPropertyOptional({ type: [TransitionDto], description: 'Every transition and retried attempt, oldest first (GET /v1/services/:id only)' }) history?: TransitionDto[];
}

export class ServiceInstancePageDto {
  @ApiProperty({ type: [ServiceInstanceDto] }) items!: ServiceInstanceDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class RevealedCredentialsDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f70' }) instanceId!: string;
  @ApiProperty({ description: 'Shown only in this response', example: { apiKey: 'q-2c5f…' } }) credentials!: Record<string, string>;
  @ApiProperty({ example: '2026-11-23T10:01:00.000Z' }) revealedAt!: string;
}

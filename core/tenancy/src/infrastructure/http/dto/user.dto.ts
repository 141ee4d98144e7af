import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsDate, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Type } from 'class-transformer';
import { PageQueryDto } from '@werkbank/kernel';
import { ROLES, SCOPE_PATTERN } from '../../../domain/roles';

export class InviteUserDto {
  @ApiProperty({ example: 'ada@example.org' }) @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ enum: ROLES, example: 'tenant_member', description: 'Role on this tenant, inherited by its sub-tenants' }) @IsIn(ROLES) role!: (typeof ROLES)[number];
  @ApiPropertyOptional({ example: 'Ada Lovelace', description: 'Suggested display name for a new account (the invitee may choose another); ignored for an existing account' })
  @IsOptional() @IsString() @MaxLength(200) displayName?: string;
}

export class UserDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61' }) id!: string;
  @ApiProperty({ example: 'ada@example.org' }) email!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' }) displayName!: string | null;
  @ApiProperty({ enum: ['invited', 'active', 'deactivated'] }) status!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) deactivatedAt!: string | null;
}

export class MembershipDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f62' }) id!: string;
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61' }) userId!: string;
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
}

export class MembershipWithTenantDto extends MembershipDto {
  @ApiProperty({ example: 'Fakultät für Informatik' }) tenantName!: string;
}

export class UserWithMembershipsDto extends UserDto {
  @ApiProperty({ type: [MembershipWithTenantDto] }) memberships!: MembershipWithTenantDto[];
}

const INVITATION_STATUSES = ['pending', 'expired', 'accepted', 'declined', 'revoked'];

/** An invitation as the inviter sees it: the same for an address with or without an account. */
export class InvitationDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f65' }) id!: string;
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ description: 'The invited address, lower-cased', example: 'ada@example.org' }) email!: string;
  @ApiProperty({ enum: ROLES, example: 'tenant_member', description: 'The role the membership gets when the invitation is accepted' }) role!: string;
  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending', description: '`pending` until accepted, declined or revoked; `expired` after `expiresAt`' }) status!: string;
  @ApiProperty({ description: 'Who invited (last): `user:<id>` or `api_key:<id>`', example: 'user:0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61' }) invitedBy!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ description: 'The link in the mail works until then (7 days; inviting again renews it)', example: '2026-11-30T10:00:00.000Z' }) expiresAt!: string;
}

export class InvitationCreatedDto {
  @ApiProperty({ type: InvitationDto }) invitation!: InvitationDto;
}

export class InvitationPageDto {
  @ApiProperty({ type: [InvitationDto] }) items!: InvitationDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class MemberDto {
  @ApiProperty({ type: MembershipDto }) membership!: MembershipDto;
  @ApiProperty({ type: UserDto }) user!: UserDto;
}

export class MemberPageDto {
  @ApiProperty({ type: [MemberDto] }) items!: MemberDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI pipeline' }) @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @ApiProperty({
    example: ['tenants:read', 'gateway:ollama'],
    description: '`*` (everything the tenant may do), `tenants:read`, `tenants:write`, `users:read`, `users:write`, `api_keys:read`, `api_keys:write`, `audit:read`, `services:read`, `services:write`, `usage:read`, `usage:write`, or `gateway:<pluginId>`',
  })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(50) @IsString({ each: true }) @Matches(SCOPE_PATTERN, { each: true, message: 'each scope must be *, a permission like tenants:read, or gateway:<pluginId>' })
  scopes!: string[];
  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'The key stops working at this time' })
  @IsOptional() @Type(() => Date) @IsDate() expiresAt?: Date;
}

export class ApiKeyDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f63' }) id!: string;
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ example: 'CI pipeline' }) name!: string;
  @ApiProperty({ description: 'First characters of the key, to recognise it', example: 'wbk_3kT9aQ1z' }) prefix!: string;
  @ApiProperty({ example: ['tenants:read'] }) scopes!: string[];
  @ApiProperty({ type: String, nullable: true, example: null }) expiresAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-11-23T11:00:00.000Z' }) lastUsedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) revokedAt!: string | null;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The secret; shown only once, store it now', example: 'wbk_3kT9aQ1zXb...' }) key!: string;
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyDto] }) items!: ApiKeyDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class MeDto {
  @ApiProperty({ enum: ['user', 'api_key'] }) kind!: string;
  @ApiProperty({ type: UserWithMembershipsDto, nullable: true }) user!: UserWithMembershipsDto | null;
  @ApiProperty({ type: ApiKeyDto, nullable: true }) apiKey!: ApiKeyDto | null;
}

class AuditActorDto {
  @ApiProperty({ enum: ['user', 'api_key', 'system'] }) type!: string;
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61' }) id!: string;
}
class AuditTargetDto {
  @ApiProperty({ example: 'tenant' }) type!: string;
  @ApiProperty({ type: String, nullable: true, example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) id!: string | null;
}
export class AuditEventDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f64' }) id!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) occurredAt!: string;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiProperty({ type: String, nullable: true }) tenantId!: string | null;
  @ApiProperty({ example: 'tenant.suspended' }) action!: string;
  @ApiProperty({ type: AuditTargetDto }) target!: AuditTargetDto;
  @ApiProperty({ example: { reason: 'unpaid invoice' } }) data!: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, example: 'req-1' }) requestId!: string | null;
}
export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}
export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this tenant and its sub-tenants' }) @IsOptional() @IsString() @Matches(/^[0-9a-f-]{36}$/i, { message: 'tenantId must be a UUID' }) tenantId?: string;
  @ApiPropertyOptional({ example: 'tenant.suspended' }) @IsOptional() @IsString() @MaxLength(100) action?: string;
}

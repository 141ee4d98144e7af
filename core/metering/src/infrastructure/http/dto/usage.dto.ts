import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

class UsageEventDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ example: 'qdrant.queries' }) meter!: string;
  @ApiProperty({ type: String, description: 'Non-negative decimal (a JSON number is accepted too); send a string to keep it exact', example: '1500' }) quantity!: string | number;
  @ApiProperty({ description: 'ISO 8601 with offset; at most 5 minutes ahead, at most 45 days old', example: '2026-11-23T14:05:00Z' }) timestamp!: string;
  @ApiProperty({ description: '1 to 255 characters; the same key for the same tenant is the same event for 45 days', example: 'gw-7f3a-2026-11-23T14:05:00Z-1' }) idempotencyKey!: string;
  @ApiPropertyOptional({ description: 'Dimension values and details; at most 4 KiB as JSON', example: { model: 'llama3' } }) properties?: Record<string, unknown>;
}

/** Documentation only: the route validates the envelope with a compiled JSON schema and each event by hand. */
export class RecordUsageDto {
  @ApiProperty({ type: [UsageEventDto], maxItems: 10000 }) events!: UsageEventDto[];
}

class UsageRejectionDto {
  @ApiProperty({ description: 'Position of the event in `events`', example: 3 }) index!: number;
  @ApiProperty({ example: 'usage.unknown_meter' }) code!: string;
  @ApiProperty({ example: 'meter "qdrant.querys" is not registered (GET /v1/meters lists the meters)' }) message!: string;
}

export class IngestResultDto {
  @ApiProperty({ description: 'Events recorded by this request (committed)', example: 998 }) accepted!: number;
  @ApiProperty({ description: 'Events recorded before (same key, same content): counted once', example: 1 }) duplicates!: number;
  @ApiProperty({ type: [UsageRejectionDto] }) rejected!: UsageRejectionDto[];
}

export class VoidUsageDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' })
  @IsUUID('all', { message: 'tenantId must be a tenant id (UUID)' }) tenantId!: string;
  @ApiProperty({ type: [String], description: '1 to 10,000 idempotency keys of the tenant\'s events', example: ['gw-7f3a-1'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10_000) @IsString({ each: true }) @MinLength(1, { each: true }) @MaxLength(255, { each: true })
  idempotencyKeys!: string[];
}

export class VoidResultDto {
  @ApiProperty({ description: 'Events now voided (also those voided before)', example: 2 }) voided!: number;
  @ApiProperty({ type: [String], description: 'Keys with no event (never recorded, or older than 45 days)', example: [] }) notFound!: string[];
  @ApiProperty({ type: [String], description: 'Keys whose event lies in an invoiced period: not voided; correct them with a credit note', example: [] }) invoiced!: string[];
}

export class UsageQueryDto {
  @ApiPropertyOptional({ description: 'Inclusive; ISO 8601 with offset, or a date (midnight in the tenant\'s time zone). Default with `to`: the current calendar month', example: '2026-11-01' })
  @IsOptional() @IsString() @MaxLength(40) from?: string;
  @ApiPropertyOptional({ description: 'Exclusive; like `from`', example: '2026-12-01' })
  @IsOptional() @IsString() @MaxLength(40) to?: string;
  @ApiPropertyOptional({ description: 'Only this meter', example: 'ollama.tokens.prompt' })
  @IsOptional() @IsString() @MaxLength(200) meter?: string;
  @ApiPropertyOptional({ description: '`meter` (default), `day` or `hour` (local to the tenant\'s time zone), or the name of a dimension', example: 'day' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(64) groupBy?: string;
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Add up the tenant and every tenant below it (default false)', example: 'false' })
  @IsOptional() @IsIn(['true', 'false']) subtree?: 'true' | 'false';
}

class UsageItemDto {
  @ApiProperty({ example: 'ollama.tokens.prompt' }) meter!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null for groupBy=meter; 2026-11-23 (day), 2026-11-23T14 (hour), or the dimension\'s value (null when an event lacks it)', example: '2026-11-23' }) group!: string | null;
  @ApiProperty({ description: 'Decimal string, aggregated as the meter says', example: '15234' }) value!: string;
}

export class UsageDto {
  @ApiProperty({ type: [UsageItemDto] }) items!: UsageItemDto[];
  @ApiProperty({ description: 'The range answered (inclusive)', example: '2026-10-31T23:00:00.000Z' }) from!: string;
  @ApiProperty({ description: 'The range answered (exclusive)', example: '2026-11-30T23:00:00.000Z' }) to!: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

const decimal = { type: String, nullable: true };

export class SetQuotaDto {
  @ApiPropertyOptional({ ...decimal, description: 'Decimal (string or number). Usage per month above which the gateway refuses (429 quota.exceeded); null or absent: none', example: '100000' })
  @IsOptional() hardLimit?: string | number | null;
  @ApiPropertyOptional({ ...decimal, description: 'Decimal (string or number). Usage per month whose 80 % and 100 % emit metering.quota_threshold_reached; null or absent: none', example: '80000' })
  @IsOptional() softLimit?: string | number | null;
}

class PeriodDto {
  @ApiProperty({ example: '2026-10-31T23:00:00.000Z' }) from!: string;
  @ApiProperty({ example: '2026-11-30T23:00:00.000Z' }) to!: string;
}

export class QuotaDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ example: 'searxng.queries' }) meter!: string;
  @ApiProperty({ type: String, nullable: true, example: '10000' }) hardLimit!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '8000' }) softLimit!: string | null;
  @ApiProperty({ enum: ['month'] }) period!: 'month';
  @ApiProperty({ description: 'The tenant\'s own usage in the current period (for gauges: the current level)', example: '1523' }) used!: string;
  @ApiProperty({ type: PeriodDto, description: 'The current calendar month in the tenant\'s time zone' }) currentPeriod!: PeriodDto;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) updatedAt!: string;
}

export class QuotaListDto {
  @ApiProperty({ type: [QuotaDto] }) items!: QuotaDto[];
}

class QuotaStateDto {
  @ApiProperty({ example: 'searxng.queries' }) meter!: string;
  @ApiProperty({ type: PeriodDto }) period!: PeriodDto;
  @ApiProperty({ type: String, nullable: true, example: '10000' }) hardLimit!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) softLimit!: string | null;
  @ApiProperty({ example: '1523' }) used!: string;
}

export class EntitlementsDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) tenantId!: string;
  @ApiProperty({ enum: ['active', 'suspended', 'closed'], description: 'Effective: a suspended or closed parent counts', example: 'active' }) status!: string;
  @ApiProperty({ type: [QuotaStateDto] }) quotas!: QuotaStateDto[];
  @ApiProperty({ example: '2026-11-23T14:05:00.000Z' }) generatedAt!: string;
}

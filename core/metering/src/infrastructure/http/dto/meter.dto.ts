import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { AGGREGATIONS, DIMENSION_PATTERN, METER_KEY_PATTERN } from '../../../domain/meter';

export class CreateMeterDto {
  @ApiProperty({ description: 'Stable key, dotted: `<plugin id>.<name>` for a service\'s meters', example: 'storage.bytes' })
  @IsString() @MaxLength(200) @Matches(METER_KEY_PATTERN, { message: 'key must be letters, digits, `_` and `-` in dot-separated words, such as storage.bytes' })
  key!: string;
  @ApiProperty({ description: 'Singular unit of one quantity', example: 'byte' })
  @IsString() @MinLength(1) @MaxLength(50) unit!: string;
  @ApiProperty({ enum: AGGREGATIONS, description: 'How events become one number per period: see docs/metering.md', example: 'time_weighted' })
  @IsIn(AGGREGATIONS) aggregation!: (typeof AGGREGATIONS)[number];
  @ApiProperty({ example: 'Bytes stored, sampled as a gauge' })
  @IsString() @MinLength(1) @MaxLength(500) description!: string;
  @ApiPropertyOptional({ description: 'For unique_count (required there): the property whose distinct values are counted', example: 'userId' })
  @IsOptional() @IsString() @Matches(DIMENSION_PATTERN, { message: 'valueProperty must be a property name (letters, digits, `_`, `.`, `-`; at most 64)' }) valueProperty?: string;
  @ApiPropertyOptional({ type: [String], description: 'Properties usage can be grouped and priced by', example: ['service'] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) @Matches(DIMENSION_PATTERN, { each: true, message: 'each dimension must be a property name (letters, digits, `_`, `.`, `-`; at most 64)' })
  dimensions?: string[];
}

export class MeterDto {
  @ApiProperty({ example: 'storage.bytes' }) key!: string;
  @ApiProperty({ example: 'byte' }) unit!: string;
  @ApiProperty({ enum: AGGREGATIONS, example: 'time_weighted' }) aggregation!: string;
  @ApiProperty({ example: 'Bytes stored, sampled as a gauge' }) description!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) valueProperty!: string | null;
  @ApiProperty({ type: [String], example: ['service'] }) dimensions!: string[];
  @ApiProperty({ description: '`operator` or `plugin:<id>` (the plugin that declared it first)', example: 'operator' }) owner!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
}

export class MeterListDto {
  @ApiProperty({ type: [MeterDto] }) items!: MeterDto[];
}

import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail, IsIn, IsISO31661Alpha2, IsISO4217CurrencyCode, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateBy, ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '@werkbank/kernel';
import { isTimeZone } from '../../../domain/tenant';

export class AddressDto {
  @ApiProperty({ description: 'Street and number', example: 'Unter den Linden 6' }) @IsString() @IsNotEmpty() @MaxLength(200) line1!: string;
  @ApiPropertyOptional({ description: 'Additional address line', example: 'Gebäude 3' }) @IsOptional() @IsString() @MaxLength(200) line2?: string;
  @ApiProperty({ example: '10117' }) @IsString() @IsNotEmpty() @MaxLength(20) postalCode!: string;
  @ApiProperty({ example: 'Berlin' }) @IsString() @IsNotEmpty() @MaxLength(100) city!: string;
  @ApiPropertyOptional({ description: 'State or region', example: 'BE' }) @IsOptional() @IsString() @MaxLength(100) countrySubdivision?: string;
  @ApiProperty({ description: 'ISO 3166-1 alpha-2', example: 'DE' }) @IsISO31661Alpha2() country!: string;
}

/** An IANA time zone (see isTimeZone). */
const IsTimeZone = (): PropertyDecorator => ValidateBy({ name: 'isTimeZone', validator: { validate: isTimeZone, defaultMessage: () => 'timeZone must be an IANA time zone such as Europe/Berlin' } });

export class CreateTenantDto {
  @ApiProperty({ description: 'Display name', example: 'Fakultät für Informatik' }) @IsString() @Matches(/\S/, { message: 'name must not be blank' }) @MaxLength(200) name!: string;
  @ApiProperty({ description: 'Legal name as on invoices', example: 'Technische Universität Beispielstadt' }) @IsString() @Matches(/\S/, { message: 'legalName must not be blank' }) @MaxLength(300) legalName!: string;
  @ApiProperty({ description: 'ISO 3166-1 alpha-2 country code', example: 'DE' }) @IsISO31661Alpha2() country!: string;
  @ApiProperty({ description: 'ISO 4217 currency code for invoices', example: 'EUR' }) @IsISO4217CurrencyCode() currency!: string;
  @ApiProperty({ description: 'Where invoices go', example: 'rechnungen@tu-beispiel.de' }) @IsEmail() @MaxLength(254) billingEmail!: string;
  @ApiPropertyOptional({ description: 'Parent tenant; defaults to the tenant you administer (or the API key\'s tenant)', example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' })
  @IsOptional() @IsUUID() parentId?: string;
  @ApiPropertyOptional({ enum: ['reseller', 'organization'], default: 'organization', description: 'Resellers can only be created under the operator' })
  @IsOptional() @IsIn(['reseller', 'organization']) kind?: 'reseller' | 'organization';
  @ApiPropertyOptional({ type: AddressDto }) @IsOptional() @ValidateNested() @Type(() => AddressDto) address?: AddressDto;
  @ApiPropertyOptional({ description: 'VAT identification number', example: 'DE123456789' })
  @IsOptional() @Matches(/^[A-Z]{2}[0-9A-Z+*.]{2,13}$/, { message: 'vatId must look like DE123456789' }) vatId?: string;
  @ApiPropertyOptional({ description: 'Buyer reference for e-invoices, e.g. a German public body\'s Leitweg-ID', example: '04011000-12345-67' })
  @IsOptional() @IsString() @MaxLength(200) buyerReference?: string;
  @ApiPropertyOptional({ description: 'IANA time zone for billing periods', default: 'Europe/Berlin', example: 'Europe/Berlin' })
  @IsOptional() @IsTimeZone() timeZone?: string;
}

export class UpdateTenantDto extends PartialType(OmitType(CreateTenantDto, ['parentId', 'kind'] as const)) {}

export class StatusChangeDto {
  @ApiPropertyOptional({ description: 'Why; kept in the tenant and the audit trail', example: 'Invoice 2026-0042 unpaid for 30 days' })
  @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export class ListTenantsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only direct children of this tenant' }) @IsOptional() @IsUUID() parentId?: string;
  @ApiPropertyOptional({ enum: ['active', 'suspended', 'closed'] }) @IsOptional() @IsIn(['active', 'suspended', 'closed']) status?: string;
}

export class TenantDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) id!: string;
  @ApiProperty({ type: String, nullable: true, example: '0193a1f2-0000-7d2a-9b4e-2f1c3d4e5f60' }) parentId!: string | null;
  @ApiProperty({ enum: ['operator', 'reseller', 'organization'] }) kind!: string;
  @ApiProperty({ example: 'Fakultät für Informatik' }) name!: string;
  @ApiProperty({ example: 'Technische Universität Beispielstadt' }) legalName!: string;
  @ApiProperty({ example: 'DE' }) country!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: 'rechnungen@tu-beispiel.de' }) billingEmail!: string;
  @ApiProperty({ type: AddressDto, nullable: true }) address!: AddressDto | null;
  @ApiProperty({ type: String, nullable: true, example: 'DE123456789' }) vatId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '04011000-12345-67' }) buyerReference!: string | null;
  @ApiProperty({ example: 'Europe/Berlin' }) timeZone!: string;
  @ApiProperty({ enum: ['active', 'suspended', 'closed'] }) status!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) suspendedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) suspensionReason!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) closedAt!: string | null;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) updatedAt!: string;
}

export class TenantPageDto {
  @ApiProperty({ type: [TenantDto] }) items!: TenantDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page', example: null }) nextCursor!: string | null;
}

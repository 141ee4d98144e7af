import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@werkbank.local' }) @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ example: 'correct horse battery staple' }) @IsString() @IsNotEmpty() @MaxLength(1024) password!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT (HS256) for `Authorization: Bearer`', example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' }) accessToken!: string;
  @ApiProperty({ description: 'Opaque, single use: each refresh returns a new one', example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60.q3Jx...' }) refreshToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: string;
  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 }) expiresIn!: number;
}

export class RefreshDto {
  @ApiProperty({ example: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60.q3Jx...' }) @IsString() @IsNotEmpty() @MaxLength(200) refreshToken!: string;
}

const PASSWORD_RULE = 'at least 12 characters';

export class AcceptInvitationDto {
  @ApiProperty({ description: 'Token from the invitation e-mail', example: 'hV3...' }) @IsString() @IsNotEmpty() @MaxLength(200) token!: string;
  @ApiPropertyOptional({
    description: `Password of the new account, ${PASSWORD_RULE}: required when the invitation creates an account (the mail says "set your password"), ignored for an existing account (whose password stays as it is)`,
    example: 'a long passphrase here',
  })
  @IsOptional() @IsString() @MinLength(12) @MaxLength(1024) password?: string;
  @ApiPropertyOptional({ description: 'Display name of a new account; ignored for an existing account', example: 'Ada Lovelace' }) @IsOptional() @IsString() @MaxLength(200) displayName?: string;
}

export class DeclineInvitationDto {
  @ApiProperty({ description: 'Token from the invitation e-mail', example: 'hV3...' }) @IsString() @IsNotEmpty() @MaxLength(200) token!: string;
}

export class PasswordResetRequestDto {
  @ApiProperty({ example: 'ada@example.org' }) @IsEmail() @MaxLength(254) email!: string;
}

export class PasswordResetConfirmDto {
  @ApiProperty({ description: 'Token from the reset e-mail', example: 'hV3...' }) @IsString() @IsNotEmpty() @MaxLength(200) token!: string;
  @ApiProperty({ description: `New password, ${PASSWORD_RULE}`, example: 'another long passphrase' }) @IsString() @MinLength(12) @MaxLength(1024) password!: string;
}

import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

class FieldErrorDto {
  @ApiProperty({ example: 'country' }) field!: string;
  @ApiProperty({ example: 'country must be a valid ISO31661 Alpha2 code' }) message!: string;
}

/** RFC 9457 problem details as Werkbank sends them (`application/problem+json`). */
export class ProblemDto {
  @ApiProperty({ example: 'urn:werkbank:problem:tenant.not_found' }) type!: string;
  @ApiProperty({ example: 'Tenant not found' }) title!: string;
  @ApiProperty({ example: 404 }) status!: number;
  @ApiProperty({ description: 'Stable machine-readable code', example: 'tenant.not_found' }) code!: string;
  @ApiPropertyOptional({ example: 'No tenant with this id is visible to you.' }) detail?: string;
  @ApiPropertyOptional({ example: '/v1/tenants/0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }) instance?: string;
  @ApiPropertyOptional({ example: 'req-1' }) requestId?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Per-field messages on 400 request.validation_failed' }) errors?: FieldErrorDto[];
}

const DEFAULTS: Record<number, string> = {
  400: 'Invalid input: request.validation_failed (per-field `errors`), request.malformed_json',
  401: 'Missing or invalid credentials: auth.unauthenticated, auth.invalid_token, auth.token_expired, auth.invalid_api_key',
  403: 'Visible but not allowed for your role or key scopes: auth.forbidden',
  404: 'Not found, or not visible to you (another tenant\'s resources always answer 404)',
  409: 'Conflicts with the current state',
  413: 'Body too large: request.body_too_large',
  422: 'Idempotency-Key reused with another body: idempotency.key_reused',
  429: 'Rate limited',
};

/** Documents problem+json answers; pass extra codes per status to list them. */
export function ApiProblems(statuses: number[], codes: Record<number, string> = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: codes[status] ?? DEFAULTS[status] ?? 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } } }),
    ),
  );
}

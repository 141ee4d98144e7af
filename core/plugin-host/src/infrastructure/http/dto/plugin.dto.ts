import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PluginMeterDto {
  @ApiProperty({ description: "'<pluginId>.<name>'", example: 'ollama.tokens.prompt' }) key!: string;
  @ApiProperty({ description: 'Singular unit of one quantity', example: 'token' }) unit!: string;
  @ApiProperty({ enum: ['sum', 'count', 'max', 'unique_count', 'latest', 'time_weighted'], example: 'sum' }) aggregation!: string;
  @ApiProperty({ example: 'Prompt tokens processed' }) description!: string;
  @ApiPropertyOptional({ type: [String], description: 'Properties usage can be grouped and priced by', example: ['model'] }) dimensions?: string[];
  @ApiPropertyOptional({ description: 'For unique_count: the property whose distinct values are counted', example: 'userId' }) valueProperty?: string;
}

export class PluginEntitlementKeyDto {
  @ApiProperty({ description: "'<pluginId>.<name>': a setting a plan or pack may give", example: 'ollama.modelTiers' }) key!: string;
  @ApiProperty({ enum: ['boolean', 'integer', 'decimal', 'string', 'string[]', 'enum'], example: 'string[]' }) type!: string;
  @ApiProperty({ example: 'Model tiers the tenant may use' }) description!: string;
  @ApiPropertyOptional({ type: [String], description: "Allowed values of 'enum' (and items of 'string[]')", example: ['small', 'large'] }) values?: string[];
  @ApiPropertyOptional({
    description: 'Used when no plan sets the key',
    oneOf: [{ type: 'boolean' }, { type: 'number' }, { type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['small'],
  })
  default?: boolean | number | string | string[];
}

export class PluginPriceSuggestionDto {
  @ApiProperty({ description: 'The meter key', example: 'ollama.tokens.prompt' }) meter!: string;
  @ApiProperty({ description: 'ISO 4217', example: 'EUR' }) currency!: string;
  @ApiProperty({ description: 'Decimal string: the price of `perQuantity` units', example: '0.20' }) unitPrice!: string;
  @ApiPropertyOptional({ description: "Decimal string, default '1'", example: '1000000' }) perQuantity?: string;
  @ApiProperty({ enum: ['per_unit', 'package'], example: 'per_unit' }) model!: string;
  @ApiPropertyOptional({ description: 'Decimal string: included before prices apply', example: '100000' }) includedQuantity?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Only usage with these dimension values', example: { model: 'llama3' } })
  dimensions?: Record<string, string>;
  @ApiProperty({ example: 'Prompt tokens, per million' }) description!: string;
}

export class PluginHealthDto {
  @ApiProperty({ enum: ['healthy', 'degraded', 'unhealthy'], example: 'healthy' }) status!: string;
  @ApiPropertyOptional({ description: 'Short and human; never a secret', example: '2 of 2 GPU nodes answer' }) message?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'E.g. per upstream node', example: { 'http://gpu-1:11434': 'healthy' } })
  details?: Record<string, string>;
  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' }) checkedAt!: string;
}

export class PluginDto {
  @ApiProperty({ description: 'Kebab-case plugin id', example: 'ollama' }) id!: string;
  @ApiProperty({ example: '@werkbank/plugin-ollama' }) packageName!: string;
  @ApiProperty({ description: "The plugin's own semantic version", example: '1.0.0' }) version!: string;
  @ApiProperty({ example: 'Ollama' }) displayName!: string;
  @ApiProperty({ example: 'Large language models on shared GPU nodes, metered per token.' }) description!: string;
  @ApiProperty({
    enum: ['ready', 'not_configured', 'unhealthy'],
    description: '`not_configured`: the operator has not set the required options yet, nothing can be provisioned. `unhealthy`: configured, but its health check fails right now.',
    example: 'ready',
  })
  status!: string;
  @ApiProperty({ enum: ['shared', 'dedicated'], isArray: true, example: ['shared'] }) modes!: string[];
  @ApiProperty({ type: [PluginMeterDto], description: 'Usage meters the plugin reports' }) meters!: PluginMeterDto[];
  @ApiProperty({ type: [PluginEntitlementKeyDto], description: 'Settings plans and packs may give for this service' }) entitlementKeys!: PluginEntitlementKeyDto[];
  @ApiProperty({ type: [PluginPriceSuggestionDto], description: "Prices the plugin suggests; the operator's catalog decides" }) suggestedPrices!: PluginPriceSuggestionDto[];
  @ApiProperty({ type: PluginHealthDto, nullable: true, description: 'Live health (checked at most every 5 s, 3 s timeout); null when not configured or the plugin has no health check' })
  health!: PluginHealthDto | null;
}

export class PluginListDto {
  @ApiProperty({ type: [PluginDto] }) items!: PluginDto[];
}

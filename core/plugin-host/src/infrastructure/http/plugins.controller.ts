import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@werkbank/kernel';
import { pluginNotFound, PluginRegistry } from '../../application/plugin-registry';
import { toPluginView } from '../../application/plugin-view';
import type { LoadedPlugin } from '../../domain/loaded-plugin';
import { PluginDto, PluginListDto } from './dto/plugin.dto';

/** The installed plugins: platform facts, not tenant data, so any authenticated caller may read them. */
@ApiTags('plugins')
@ApiBearerAuth()
@Controller({ path: 'plugins', version: '1' })
export class PluginsController {
  constructor(private readonly registry: PluginRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'List plugins',
    description:
      'Every service plugin this installation loaded, with its meters, entitlement keys, suggested prices and live health. ' +
      'Any logged-in user or API key may list them. Options (URLs, credentials) are never shown.',
  })
  @ApiOkResponse({ type: PluginListDto })
  @ApiProblems([401])
  async list(): Promise<PluginListDto> {
    return { items: await Promise.all(this.registry.list().map((plugin) => this.view(plugin))) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a plugin', description: 'One plugin by id, as in the list.' })
  @ApiParam({ name: 'id', description: 'Plugin id', example: 'ollama' })
  @ApiOkResponse({ type: PluginDto })
  @ApiProblems([401, 404], { 404: 'plugin.not_found' })
  async get(@Param('id') id: string): Promise<PluginDto> {
    const plugin = this.registry.get(id);
    if (!plugin) throw pluginNotFound();
    return this.view(plugin);
  }

  private async view(plugin: LoadedPlugin): Promise<PluginDto> {
    return toPluginView(plugin, await this.registry.health(plugin.id));
  }
}

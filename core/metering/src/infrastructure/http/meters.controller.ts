import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@werkbank/kernel';
import { CurrentPrincipal, TenancyPrincipal } from '@werkbank/tenancy';
import type { FastifyReply } from 'fastify';
import { CreateMeterCommand, ListMetersQuery } from '../../application/commands/meter.commands';
import { CreateMeterDto, MeterDto, MeterListDto } from './dto/meter.dto';

@ApiTags('metering')
@ApiBearerAuth()
@Controller({ version: '1' })
export class MetersController {
  constructor(private readonly commands: CommandBus, private readonly queries: QueryBus) {}

  @Post('meters')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a meter',
    description: 'Operator admins only. A new key answers 201; the identical definition again answers 200 with the existing meter; ' +
      'the key with another definition answers 409 meter.exists (meters are never changed: billing would mix two quantities). ' +
      'A plugin declaring the same key with the same unit and aggregation adopts it at start-up.',
  })
  @ApiCreatedResponse({ type: MeterDto })
  @ApiOkResponse({ type: MeterDto, description: 'The identical meter exists already' })
  @ApiProblems([400, 401, 403, 409], { 400: 'request.validation_failed (e.g. unique_count without valueProperty)', 409: 'meter.exists' })
  async create(@CurrentPrincipal() principal: TenancyPrincipal, @Body() body: CreateMeterDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<MeterDto> {
    const { meter, created } = await this.commands.execute(new CreateMeterCommand(principal, body));
    if (!created) void reply.status(200);
    return meter;
  }

  @Get('meters')
  @ApiOperation({ summary: 'List meters', description: 'Every registered meter (operator\'s and plugins\'), by key.' })
  @ApiOkResponse({ type: MeterListDto })
  @ApiProblems([401])
  async list(): Promise<MeterListDto> {
    return { items: await this.queries.execute(new ListMetersQuery()) };
  }
}

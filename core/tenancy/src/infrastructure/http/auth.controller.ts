import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Public } from '@werkbank/kernel';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TenancyPrincipal } from '../../application/access';
import { AcceptInvitationCommand, DeclineInvitationCommand } from '../../application/commands/invitation.command';
import { RequestPasswordResetCommand, ResetPasswordCommand } from '../../application/commands/user-token.command';
import { LoginCommand, LogoutCommand, RefreshSessionCommand } from '../../application/commands/session.command';
import { GetMeQuery } from '../../application/queries/tenancy.queries';
import { CurrentPrincipal } from '../../auth/auth.guard';
import { AcceptInvitationDto, DeclineInvitationDto, LoginDto, PasswordResetConfirmDto, PasswordResetRequestDto, RefreshDto, TokenPairDto } from './dto/auth.dto';
import { MeDto } from './dto/user.dto';

@ApiTags('auth')
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(private readonly commands: CommandBus) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in', description: 'Exchanges e-mail and password for an access token (JWT) and a refresh token. Rate-limited per account and per IP (429 auth.rate_limited).' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems([400, 401, 429], { 401: 'auth.invalid_credentials' })
  login(@Body() body: LoginDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    return this.commands.execute(new LoginCommand(body.email, body.password, request.ip));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refresh the session', description: 'Rotates the refresh token: the one sent stops working and a new pair is returned. Presenting an already used refresh token revokes every token of that login (theft detection).' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems([400, 401], { 401: 'auth.invalid_refresh_token' })
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.commands.execute(new RefreshSessionCommand(body.refreshToken));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Log out', description: 'Revokes the refresh token and its whole rotation family. Access tokens expire on their own (short-lived). Always answers 204.' })
  @ApiNoContentResponse({ description: 'Logged out (also when the token was unknown or already revoked)' })
  @ApiProblems([400])
  async logout(@Body() body: RefreshDto): Promise<void> {
    await this.commands.execute(new LogoutCommand(body.refreshToken));
  }

  @Public()
  @Post('invitations/accept')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Accept an invitation',
    description: 'The token from the invitation e-mail is the invited person\'s consent; the membership is created now. ' +
      'For a new address, `password` is required (400 request.validation_failed naming it otherwise, the token stays usable): it creates the account, ' +
      'and the answer is 200 with a token pair (logged in). For an existing account the token alone suffices, `password` and `displayName` are ignored, ' +
      'and the answer is 204: log in as usual (a mailed link is not a login for an existing account). If the account already holds the role, nothing changes but the invitation. ' +
      'A token works once; used, declined, revoked, expired or unknown tokens, and a deactivated account, answer 400 auth.invalid_token.',
  })
  @ApiOkResponse({ type: TokenPairDto, description: 'A new account was created and logged in' })
  @ApiNoContentResponse({ description: 'An existing account accepted; log in with its password' })
  @ApiProblems([400, 409], { 400: 'auth.invalid_token (used, expired or unknown), request.validation_failed', 409: 'request.conflict (the same address accepted two invitations at once; retry)' })
  async acceptInvitation(@Body() body: AcceptInvitationDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenPairDto | undefined> {
    const session = await this.commands.execute(new AcceptInvitationCommand(body.token, body.password, body.displayName));
    if (session) return session;
    void reply.status(204);
    return undefined;
  }

  @Public()
  @Post('invitations/decline')
  @HttpCode(204)
  @ApiOperation({ summary: 'Decline an invitation', description: 'Turns the invitation down with the token from the e-mail: no membership is created and the link stops working. Needs no account.' })
  @ApiNoContentResponse({ description: 'Declined' })
  @ApiProblems([400], { 400: 'auth.invalid_token (used, expired or unknown), request.validation_failed' })
  async declineInvitation(@Body() body: DeclineInvitationDto): Promise<void> {
    await this.commands.execute(new DeclineInvitationCommand(body.token));
  }

  @Public()
  @Post('password-reset')
  @HttpCode(202)
  @ApiOperation({ summary: 'Request a password reset', description: 'Sends a reset link (valid 1 hour) to the address if it belongs to an active account. Always answers 202, so it does not reveal which addresses have accounts.' })
  @ApiAcceptedResponse({ description: 'Accepted; a reset link goes out if the address belongs to an active account. No body.' })
  @ApiProblems([400])
  async requestReset(@Body() body: PasswordResetRequestDto): Promise<void> {
    await this.commands.execute(new RequestPasswordResetCommand(body.email));
  }

  @Public()
  @Post('password-reset/confirm')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password', description: 'Sets a new password with the token from the reset e-mail and ends all sessions of the account.' })
  @ApiNoContentResponse({ description: 'Password changed; every refresh token of the account is revoked' })
  @ApiProblems([400], { 400: 'auth.invalid_token, request.validation_failed' })
  async confirmReset(@Body() body: PasswordResetConfirmDto): Promise<void> {
    await this.commands.execute(new ResetPasswordCommand(body.token, body.password));
  }
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller({ path: 'me', version: '1' })
export class MeController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'Who am I', description: 'The calling user with their memberships, or the calling API key.' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems([401])
  me(@CurrentPrincipal() principal: TenancyPrincipal): Promise<MeDto> {
    return this.queries.execute(new GetMeQuery(principal));
  }
}

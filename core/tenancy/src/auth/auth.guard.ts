import { createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC, ProblemException, Problems } from '@werkbank/kernel';
import type { TenancyPrincipal } from '../application/access';

/** Every route requires a bearer credential unless marked @Public(). */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(error: unknown, user: T): T {
    if (error instanceof ProblemException) throw error;
    if (error) throw error;
    if (!user) throw Problems.unauthorized();
    return user;
  }
}

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): TenancyPrincipal => {
  return ctx.switchToHttp().getRequest<{ user: TenancyPrincipal }>().user;
});

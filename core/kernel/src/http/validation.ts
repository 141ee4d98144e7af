import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, Problems } from '../problem/problem';

/** One message per field: "is required" for a missing value, else the most basic failed rule. */
function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const constraints = e.constraints ?? {};
    const keys = Object.keys(constraints);
    let own: FieldError[] = [];
    if (keys.includes('whitelistValidation')) own = [{ field, message: `${field} is not a known field; remove it` }];
    else if (keys.length > 0 && (e.value === undefined || e.value === null)) own = [{ field, message: `${field} is required` }];
    else if (keys.length > 0) {
      // class-validator runs decorators bottom-up; the last key is the first-declared (most basic) rule.
      own = [{ field, message: constraints[keys[keys.length - 1]] }];
    }
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** DTO validation answering 400 problem+json with one message per field; unknown fields are refused. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => Problems.validation(flatten(errors)),
  });
}

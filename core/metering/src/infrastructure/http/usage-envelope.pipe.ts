import { Injectable, PipeTransform } from '@nestjs/common';
import { FieldError, Problems } from '@werkbank/kernel';
import Ajv from 'ajv';
import type { UsageEventInput } from '../../domain/usage-event';
import { MAX_EVENTS_PER_BATCH } from '../../application/usage-ingestion';

/** The envelope only; every event is checked on its own by the ingestion (one bad event rejects no other). */
const validateEnvelope = new Ajv({ allErrors: true, strict: true }).compile({
  type: 'object',
  required: ['events'],
  additionalProperties: false,
  properties: { events: { type: 'array', maxItems: MAX_EVENTS_PER_BATCH } },
});

/**
 * Validates `{events: [...]}` with a compiled JSON schema: 400 request.validation_failed for a
 * malformed envelope, without instantiating a class per event (the global ValidationPipe leaves
 * an `unknown` body alone).
 */
@Injectable()
export class UsageEnvelopePipe implements PipeTransform<unknown, UsageEventInput[]> {
  transform(body: unknown): UsageEventInput[] {
    if (validateEnvelope(body)) return (body as { events: UsageEventInput[] }).events;
    const errors: FieldError[] = [];
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      errors.push({ field: 'events', message: 'the body must be a JSON object {"events": [...]}' });
    } else {
      for (const e of validateEnvelope.errors ?? []) {
        if (e.keyword === 'additionalProperties') {
          const field = String(e.params.additionalProperty);
          errors.push({ field, message: `${field} is not a known field; remove it` });
        } else if (e.keyword === 'required') errors.push({ field: 'events', message: 'events is required' });
        else if (e.keyword === 'maxItems') errors.push({ field: 'events', message: `events may hold at most ${MAX_EVENTS_PER_BATCH} events; split the batch` });
        else errors.push({ field: 'events', message: 'events must be an array of usage events' });
      }
    }
    throw Problems.validation(errors);
  }
}

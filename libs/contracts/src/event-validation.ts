import { plainToInstance } from 'class-transformer';
import { registerDecorator, validateSync, ValidationOptions } from 'class-validator';
import { parseFen } from '@vc/domain';

/**
 * Money in an event: integer fen as a JSON number (a safe integer) or a decimal string, positive
 * and at most 10^12 (R-MONEY-1); `zero` also admits 0 (an outstanding or overdue sum).
 */
export function IsFenJson(options: ValidationOptions & { zero?: boolean } = {}): PropertyDecorator {
  const { zero, ...validation } = options;
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isFenJson',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be an integer amount of fen`, ...validation },
      validator: {
        validate: (v: unknown) => {
          if (typeof v !== 'number' && typeof v !== 'string') return false;
          const fen = parseFen(v);
          return fen !== null && fen <= 1_000_000_000_000n && (zero ? fen >= 0n : fen > 0n);
        },
      },
    });
}

/**
 * A payload checked against its class: the instance with only the declared fields, or why it does
 * not validate (the first violation, with its field).
 */
export function validatePayload<T extends object>(cls: new () => T, payload: unknown): { ok: true; value: T } | { ok: false; reason: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, reason: 'payload is not an object' };
  const instance = plainToInstance(cls, payload, { enableImplicitConversion: false, excludeExtraneousValues: false });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: true });
  if (errors.length === 0) return { ok: true, value: instance };
  const first = errors[0];
  const message = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
  return { ok: false, reason: `payload.${first.property}: ${message}` };
}

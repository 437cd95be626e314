import { z } from 'zod';
import * as S from '../../protocol/schemas.ts';
import { SMS_TEXT_RULE, smsTextProblem } from '../clients/sms-safe-text.ts';
import { ApiError } from '../errors.ts';
import { normaliseMobile } from '../registry/mobile.ts';
import { nameKey } from '../registry/names.ts';

// The request schemas of protocol/schemas.ts, refined with what only the server knows: a mobile
// normalised to its 10 digits, a name with letters to match on, a purpose safe to print in an SMS.
/** A mobile number, normalised to its 10 digits. */
export const mobile = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const normalised = normaliseMobile(value);
    if (!normalised) ctx.addIssue({ code: 'custom', message: 'not a 10-digit Indian mobile number' });
    return normalised ?? '';
  });
/** A name with letters to match on. */
export const name = z
  .string()
  .max(100)
  .refine((value) => nameKey(value) !== '', 'name has no letters');

export const createSessionBody = S.createSessionRequest.extend({
  // Printed in the SMS in the verifier's name: the same rule as a client's registered purpose.
  purpose: z
    .string()
    .trim()
    .refine((value) => smsTextProblem(value) === null, `purpose: ${SMS_TEXT_RULE}`)
    .optional(),
  mobile: mobile.optional(),
  name: name.optional(),
});

export const sendOtpBody = S.sendOtpRequest.extend({ mobile, name });

export const verifyOtpBody = S.verifyOtpRequest;

export const consentBody = S.consentRequest;

export const correctNameBody = S.correctNameRequest.extend({ name });

export const membersBody = S.membersRequest;

export const smsOutboxQuery = S.smsOutboxQuery.extend({ mobile: mobile.optional() });

/** Parses input or throws a 400 naming the wrong fields (never echoing their values). */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.flatMap((i) => (i.path.length ? [i.path.join('.')] : i.code === 'unrecognized_keys' ? i.keys : [])))];
  const message =
    result.error.issues[0]?.code === 'unrecognized_keys'
      ? `Unknown field(s): ${fields.join(', ')}.`
      : fields.length
        ? `Invalid field(s): ${fields.join(', ')}.`
        : 'The request body must be a JSON object.';
  throw new ApiError('invalid_request', message, fields.length ? { fields } : {});
}

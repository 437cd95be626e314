import { z } from 'zod';
import { SMS_TEXT_RULE, smsTextProblem } from '../clients/sms-safe-text.ts';
import { ApiError } from '../errors.ts';
import { normaliseMobile } from '../registry/mobile.ts';
import { nameKey } from '../registry/names.ts';

// Printable ASCII without spaces: safe to echo in a token claim and in logs.
const nonce = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'nonce: 1-128 printable ASCII characters');
const mobile = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const normalised = normaliseMobile(value);
    if (!normalised) ctx.addIssue({ code: 'custom', message: 'not a 10-digit Indian mobile number' });
    return normalised ?? '';
  });
const name = z
  .string()
  .max(100)
  .refine((value) => nameKey(value) !== '', 'name has no letters');

export const createSessionBody = z.strictObject({
  client_id: z.string().min(1).max(64).optional(),
  origin: z.string().min(1).max(300).optional(),
  nonce: nonce.optional(),
  // Printed in the SMS in the verifier's name: the same rule as a client's registered purpose.
  purpose: z
    .string()
    .trim()
    .refine((value) => smsTextProblem(value) === null, `purpose: ${SMS_TEXT_RULE}`)
    .optional(),
  mobile: mobile.optional(),
  name: name.optional(),
});

export const sendOtpBody = z.strictObject({ mobile, name });

export const verifyOtpBody = z.strictObject({
  otp: z.string().regex(/^\d{6}$/, 'otp: 6 digits'),
  consent: z.boolean().optional(),
});

export const consentBody = z.strictObject({
  decision: z.enum(['allow', 'deny']),
  consent_ticket: z.string().min(1).max(100),
});

export const smsOutboxQuery = z.strictObject({ mobile: mobile.optional() });

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

import { nameKey } from '../../registry/names.ts';
import { keyedHash } from '../../store/secrets.ts';
import type { KeyedPerson, Step } from '../flow-context.ts';

/** How a session remembers the name it is about: a keyed hash of the name as matching sees it. */
export function sessionNameHash(otpKey: Buffer, key: string): Buffer {
  return keyedHash(otpKey, 'session-name', key);
}

/** Hashes the mobile and keys the name once; no later step touches the raw input again. */
export const keyPerson: Step<{ mobile?: string | undefined; name?: string | undefined }> = (ctx) => {
  const { mobile, name } = ctx.input;
  if (mobile === undefined || name === undefined) throw new Error('session flow wiring: keyPerson needs mobile and name');
  const mobileHash = ctx.deps.registry.mobileHash(mobile);
  const key = nameKey(name);
  const person: KeyedPerson = {
    mobile,
    name,
    mobileHash,
    mobileKey: mobileHash.toString('base64url'),
    nameKey: key,
    nameHash: sessionNameHash(ctx.deps.secrets.otpKey, key),
  };
  ctx.set('person', person);
};

import { nameKey } from '../../registry/names.ts';
import type { Step } from '../flow-context.ts';
import { sessionNameHash } from './key-person.ts';

/** Keys a name the code's holder tried and looks it up on the session's mobile (never the raw input again). */
export const matchTriedName: Step<{ name: string }> = async (ctx) => {
  const session = ctx.get('session');
  const key = nameKey(ctx.input.name);
  ctx.set('triedName', { nameKey: key, nameHash: sessionNameHash(ctx.deps.secrets.otpKey, key) });
  ctx.set('record', await ctx.deps.registry.lookupKeyed(session.mobileHash!, key));
};

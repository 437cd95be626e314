import type { Step } from '../flow-context.ts';

/** Who on this mobile has this name, and whether anyone is registered on it at all. */
export const lookUpRecord: Step = async (ctx) => {
  const person = ctx.get('person');
  ctx.set('record', await ctx.deps.registry.lookupKeyed(person.mobileHash, person.nameKey));
};

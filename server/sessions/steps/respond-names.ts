import { MAX_NAMES_PER_MOBILE, type MembersResponse } from '../../../protocol/api.ts';
import type { Step } from '../flow-context.ts';

/**
 * The names registered on the session's mobile, to its proven holder: names only, as registered,
 * so they can pick their own after a typo (the pick still goes through the name check).
 */
export const respondNames: Step = async (ctx) => {
  const people = await ctx.deps.registry.beneficiariesOn(ctx.get('session').mobileHash!);
  const answer: MembersResponse = { names: people.slice(0, MAX_NAMES_PER_MOBILE).map((p) => p.name) };
  ctx.answer = answer;
};

import type { Step } from '../flow-context.ts';

/** Signs the status token; it is stored and answered only if `recordDisclosure` wins the session. */
export const signToken: Step = async (ctx) => {
  const session = ctx.get('session');
  ctx.set(
    'token',
    await ctx.deps.signer.sign(
      { clientId: session.clientId, subject: session.subject!, sessionId: session.id, nonce: session.nonce, status: session.vaccinationStatus ?? 0 },
      ctx.now,
    ),
  );
};

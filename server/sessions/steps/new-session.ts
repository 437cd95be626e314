import { nanoid } from 'nanoid';
import { canonicalOrigin } from '../../clients/origins.ts';
import type { Step } from '../flow-context.ts';

export interface NewSessionInput {
  origin?: string | undefined;
  nonce?: string | undefined;
  purpose?: string | undefined;
}

/** The session to be stored: who asks, for which page, why, and until when. */
export const newSession: Step<NewSessionInput> = (ctx) => {
  const client = ctx.get('client');
  const { input, now } = ctx;
  ctx.set('newSession', {
    id: `ses_${nanoid(24)}`,
    clientId: client.id,
    mode: ctx.caller.apiClient ? 'server' : 'widget',
    origin: input.origin === undefined ? null : canonicalOrigin(input.origin),
    purpose: input.purpose ?? client.purpose,
    nonce: input.nonce ?? null,
    createdAt: now,
    expiresAt: now + ctx.deps.sessionTtlSeconds * 1000,
  });
};

import { ApiError } from '../../errors.ts';
import type { Quota } from '../../quotas/rate-counter.ts';
import { type FlowContext, named, type Step } from '../flow-context.ts';

const HOUR = 3600;

/** Every quota a request can be counted against, by its metrics label. */
const QUOTAS = {
  sessions_ip: (ctx) => ({ key: `sessions:ip:${ctx.caller.addressKey}`, limit: ctx.deps.limits.sessionsPerIpPerMinute, windowSeconds: 60 }),
  sms_ip: (ctx) => ({ key: `sms:ip:${ctx.caller.addressKey}`, limit: ctx.deps.limits.smsPerIpPerHour, windowSeconds: HOUR }),
  sms_client: (ctx) => ({ key: `sms:client:${ctx.get('client').id}`, limit: ctx.deps.limits.smsPerClientPerHour, windowSeconds: HOUR }),
  sms_global: (ctx) => ({ key: 'sms:global', limit: ctx.deps.limits.smsGlobalPerMinute, windowSeconds: 60 }),
  sms_mobile: (ctx) => ({ key: `sms:mobile:${ctx.get('person').mobileKey}`, limit: ctx.deps.limits.smsPerMobilePerHour, windowSeconds: HOUR }),
} satisfies Record<string, (ctx: FlowContext) => Quota>;

export type QuotaName = keyof typeof QUOTAS;

/** The quotas a text counts against, cheapest to refuse first. */
export const SMS_QUOTAS: readonly QuotaName[] = ['sms_ip', 'sms_client', 'sms_global', 'sms_mobile'];

/**
 * Counts one event against every named quota, or against none: a request one quota refuses uses
 * up no other. Otherwise an address past its own cap could still drain a victim's per-mobile
 * quota, locking them out of their codes without a single text being sent.
 */
export function countQuotas(names: readonly QuotaName[]): Step {
  return named('countQuotas', async (ctx) => {
    const quotas = names.map((name) => ({ name, ...QUOTAS[name](ctx) }));
    const full = await ctx.deps.counters.hitAll(quotas, ctx.now);
    if (!full) return;
    ctx.deps.events.quotaRefused(full.quota.name);
    throw new ApiError('rate_limited', 'Too many requests: try again later.', { retry_after: full.decision.retryAfter });
  });
}

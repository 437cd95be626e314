// The demo employer's backend: verification links it made for employees, and what became of each.
// No page of ours shows the check: KYC-VS's own page at `verification_url` does, and this backend
// learns the outcome by asking KYC-VS (GET /v1/sessions/:id), then verifies the token itself.
import { VACCINATION_STATUSES } from '../protocol/api.ts';
import { StatusTokenError } from '@kycvs/verifier';
import type { EmployerLink, EmployerLinkOutcome } from './contract.ts';
import { createSession, getSession, verifyToken, type ServiceEndpoint } from './kycvs-service.ts';
import { newNonce } from './pending.ts';

export const EMPLOYER_CLIENT_ID = 'demo-employer';

/** Languages the dashboard offers for the check (the link's `?lang=`). */
export const LINK_LANGS = ['en', 'hi'] as const;

interface Entry extends EmployerLink {
  /** Ours until the token comes back with it: the token must carry it. */
  nonce: string;
}

/** In memory, newest first: a demo. A real employer keeps these with the employee's record. */
export class EmployerLinks {
  readonly #service: ServiceEndpoint;
  readonly #apiKey: string;
  readonly #entries: Entry[] = [];
  #refreshing: Promise<void> | null = null;

  constructor(service: ServiceEndpoint, apiKey: string) {
    this.#service = service;
    this.#apiKey = apiKey;
  }

  async create(employee: string, lang: string | undefined): Promise<EmployerLink> {
    const nonce = newNonce();
    // No mobile or name: the employee types them on the link's page. A code sent now would expire
    // before they read the message, and a typo of ours would fix the session on the wrong person.
    const session = await createSession(this.#service, this.#apiKey, { nonce });
    if (!session.verification_url) throw new Error('KYC-VS gave no verification_url');
    const url = lang ? `${session.verification_url}?lang=${encodeURIComponent(lang)}` : session.verification_url;
    const entry: Entry = {
      sessionId: session.session_id,
      employee,
      url,
      createdAt: new Date().toISOString(),
      expiresAt: session.expires_at,
      outcome: { state: 'waiting' },
      nonce,
    };
    this.#entries.unshift(entry);
    return view(entry);
  }

  /** Every link, the open ones asked about again first (one round of questions at a time). */
  async list(): Promise<EmployerLink[]> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null));
    await this.#refreshing;
    return this.#entries.map(view);
  }

  async #refresh(): Promise<void> {
    const open = this.#entries.filter((entry) => entry.outcome.state === 'waiting');
    await Promise.all(open.map(async (entry) => (entry.outcome = await this.#outcome(entry))));
  }

  async #outcome(entry: Entry): Promise<EmployerLinkOutcome> {
    const session = await getSession(this.#service, this.#apiKey, entry.sessionId);
    switch (session.state) {
      case 'completed': {
        // The status counts only as the signed token says it, for our client, nonce and session.
        try {
          const { status } = await verifyToken(this.#service, session.token ?? '', {
            clientId: EMPLOYER_CLIENT_ID,
            nonce: entry.nonce,
            sessionId: entry.sessionId,
          });
          return { state: 'verified', status, label: VACCINATION_STATUSES[status] };
        } catch (error) {
          return { state: 'failed', reason: error instanceof StatusTokenError ? error.code : 'token_unverified' };
        }
      }
      case 'denied':
        return { state: 'denied' };
      case 'expired':
        return { state: 'expired' };
      case 'locked':
        return { state: 'failed', reason: 'otp_locked' };
      default:
        return { state: 'waiting' };
    }
  }
}

function view({ nonce: _nonce, ...link }: Entry): EmployerLink {
  return link;
}

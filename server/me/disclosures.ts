import type { MeDisclosure, MeDisclosuresResponse, MePerson } from '../../protocol/api.ts';
import type { ClientStore } from '../clients/clients.ts';
import type { AuditEntry, AuditLog } from '../consent/audit.ts';
import { beneficiaryRef, pairwiseSubject } from '../consent/subject.ts';
import { ApiError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { keyedHash } from '../store/secrets.ts';
import type { SignedIn } from './sign-in.ts';

/** Entries per person per page; older ones follow by `before`. */
export const PAGE_SIZE = 20;

export interface HistoryQuery {
  /** One person's next page (their `ref`); without it, the first page of everyone on the mobile. */
  person?: string | undefined;
  /** The `older` cursor of the previous page. */
  before?: string | undefined;
}

const CURSOR = /^(\d{1,15})-(\d{1,15})$/;

/**
 * The citizen's own history, read from the audit alone: every allow and deny about each person on the
 * signed-in mobile. The audit names a person only by their pairwise subject at each client, so their
 * subjects at every client are derived (as the check derives them) and looked up by the subject index.
 * A name that matched no one has no person to list it under: such checks shared nothing.
 */
export class MeHistory {
  readonly #registry: Registry;
  readonly #clients: ClientStore;
  readonly #audit: AuditLog;
  readonly #subjectKey: Buffer;

  constructor(deps: { registry: Registry; clients: ClientStore; audit: AuditLog; subjectKey: Buffer }) {
    this.#registry = deps.registry;
    this.#clients = deps.clients;
    this.#audit = deps.audit;
    this.#subjectKey = deps.subjectKey;
  }

  async page(signedIn: SignedIn, query: HistoryQuery): Promise<MeDisclosuresResponse> {
    if (query.before !== undefined && query.person === undefined) {
      throw new ApiError('invalid_request', 'Give `person` with `before`.', { fields: ['person'] });
    }
    const before = query.before === undefined ? undefined : parseCursor(query.before);
    // Every client ever registered, disabled ones too: their past checks are part of the history.
    const clients = await this.#clients.list();
    const names = new Map(clients.map((client) => [client.id, client.name]));
    const everyone = (await this.#registry.beneficiariesOn(signedIn.mobileHash)).map((b) => ({
      ...b,
      // Opaque, and scoped to this sign-in: a ref says nothing outside it.
      ref: keyedHash(this.#subjectKey, 'me-person', signedIn.signInId, b.beneficiaryId).toString('base64url').slice(0, 22),
    }));
    const people = query.person === undefined ? everyone : everyone.filter((p) => p.ref === query.person);
    return {
      people: await Promise.all(
        people.map(async (p): Promise<MePerson> => {
          const subjects = clients.map((client) => pairwiseSubject(this.#subjectKey, client.id, beneficiaryRef(p.beneficiaryId)));
          const rows = await this.#audit.forSubjects(subjects, PAGE_SIZE + 1, before);
          const shown = rows.slice(0, PAGE_SIZE);
          return {
            ref: p.ref,
            name: p.name,
            disclosures: shown.map((row) => disclosure(row, names.get(row.clientId) ?? row.clientId)),
            older: rows.length > PAGE_SIZE ? `${shown.at(-1)!.at}-${shown.at(-1)!.id}` : null,
          };
        }),
      ),
    };
  }
}

function disclosure(row: AuditEntry, clientName: string): MeDisclosure {
  const entry: MeDisclosure = { at: new Date(row.at).toISOString(), client_name: clientName, purpose: row.purpose, event: row.event };
  if (row.event === 'allow' && row.vaccinationStatus !== null) entry.vaccination_status = row.vaccinationStatus;
  return entry;
}

function parseCursor(cursor: string): { at: number; id: number } {
  const match = CURSOR.exec(cursor);
  if (!match) throw new ApiError('invalid_request', 'Invalid field(s): before.', { fields: ['before'] });
  return { at: Number(match[1]), id: Number(match[2]) };
}

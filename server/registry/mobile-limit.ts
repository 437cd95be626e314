import { MAX_BENEFICIARIES_PER_MOBILE } from './beneficiaries-table.ts';

/**
 * The per-mobile limit as row-by-row upserts apply it, replayed in memory: a row is refused when
 * its mobile already holds MAX_BENEFICIARIES_PER_MOBILE other beneficiaries; an accepted row puts
 * its id on its mobile and takes it off the one it was on. Only mobiles that are `track`ed can be
 * full (a writer tracks those that could reach the limit, or simply all it writes to); ids and
 * mobiles are any strings the caller compares by (e.g. hashes in hex).
 */
export class MobileOccupancy {
  readonly #members = new Map<string, Set<string>>();
  readonly #mobileOf = new Map<string, string>();

  /** A mobile whose beneficiaries are counted (its existing ones are `place`d). */
  track(mobile: string): void {
    if (!this.#members.has(mobile)) this.#members.set(mobile, new Set());
  }

  /** An existing beneficiary on a tracked mobile (ignored for an untracked one). */
  place(id: string, mobile: string): void {
    const onMobile = this.#members.get(mobile);
    if (!onMobile) return;
    onMobile.add(id);
    this.#mobileOf.set(id, mobile);
  }

  /** The next row in import order: false if its mobile is full; otherwise it is recorded as written. */
  admit(id: string, mobile: string): boolean {
    const onTarget = this.#members.get(mobile);
    if (onTarget && onTarget.size - (onTarget.has(id) ? 1 : 0) >= MAX_BENEFICIARIES_PER_MOBILE) return false;
    const from = this.#mobileOf.get(id);
    if (from !== undefined && from !== mobile) {
      this.#members.get(from)!.delete(id);
      this.#mobileOf.delete(id);
    }
    if (onTarget) {
      onTarget.add(id);
      this.#mobileOf.set(id, mobile);
    }
    return true;
  }
}

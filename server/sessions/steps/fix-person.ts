import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/**
 * A session is about one person, fixed by the backend at creation or by its first code. Anyone
 * holding the session id could otherwise send a code to another mobile and take it over.
 */
export const fixPerson: Step = (ctx) => {
  const session = ctx.get('session');
  if (session.mobileHash === null || session.nameHash === null) return;
  const person = ctx.get('person');
  if (!session.mobileHash.equals(person.mobileHash) || !session.nameHash.equals(person.nameHash)) {
    throw new ApiError('person_mismatch', 'This verification is for another person: start a new one.');
  }
};

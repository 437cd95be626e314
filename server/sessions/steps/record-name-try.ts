import { NAME_TRIES_PER_SESSION, type CorrectNameResponse } from '../../../protocol/api.ts';
import { beneficiaryRef, pairwiseSubject } from '../../consent/subject.ts';
import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';
import type { CorrectedPerson } from '../session-store.ts';

/**
 * Counts the try and, on a match, re-keys the session to that person (name, status, pseudonym), so
 * a later allow signs for them; one compare-and-set on the tries count, so racing tries cannot
 * exceed the limit. The answer says whether it matched, never a status.
 */
export const recordNameTry: Step = async (ctx) => {
  const session = ctx.get('session');
  const { match } = ctx.get('record');
  const { secrets, sessions } = ctx.deps;
  const person: CorrectedPerson | null = match && {
    nameHash: ctx.get('triedName').nameHash,
    vaccinationStatus: match.status,
    subject: pairwiseSubject(secrets.subjectKey, session.clientId, beneficiaryRef(match.beneficiaryId)),
  };
  if (!(await sessions.recordNameTry(session.id, session.nameTries, NAME_TRIES_PER_SESSION, person))) {
    throw new ApiError('invalid_state', 'Another request changed this verification; try again.');
  }
  const answer: CorrectNameResponse = { name_matched: person !== null, name_tries_left: NAME_TRIES_PER_SESSION - session.nameTries - 1 };
  ctx.answer = answer;
};

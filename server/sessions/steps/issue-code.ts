import { beneficiaryRef, pairwiseSubject } from '../../consent/subject.ts';
import { generateOtp, hashOtp } from '../../otp/otp.ts';
import type { Step } from '../flow-context.ts';

/**
 * A fresh code and what the session stores with it: the code's keyed hash, and what the record
 * says — kept in the session, disclosed only by a token after an `allow`. A name that matches
 * no one gets a pseudonym of its own and status 0 stored, which `requireMatch` never lets out.
 */
export const issueCode: Step = (ctx) => {
  const { secrets, limits } = ctx.deps;
  const sessionId = ctx.has('session') ? ctx.get('session').id : ctx.get('newSession').id;
  const person = ctx.get('person');
  const { match } = ctx.get('record');
  const otp = generateOtp();
  const personRef = match ? beneficiaryRef(match.beneficiaryId) : `m:${person.mobileKey}:${person.nameKey}`;
  ctx.set('code', {
    otp,
    issue: {
      mobileHash: person.mobileHash,
      nameHash: person.nameHash,
      otpHash: hashOtp(secrets.otpKey, sessionId, otp),
      sentAt: ctx.now,
      otpExpiresAt: ctx.now + limits.otpTtlSeconds * 1000,
      vaccinationStatus: match?.status ?? 0,
      nameMatched: match !== null,
      subject: pairwiseSubject(secrets.subjectKey, ctx.get('client').id, personRef),
    },
  });
};

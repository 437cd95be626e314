import type {
  ConsentRequest,
  ConsentResponse,
  CorrectNameRequest,
  CorrectNameResponse,
  CreateSessionRequest,
  CreateSessionResponse,
  MembersRequest,
  MembersResponse,
  SendOtpRequest,
  SendOtpResponse,
  SessionContext,
  SessionView,
  VerifyOtpRequest,
  VerifyOtpResponse,
} from '../../protocol/api.ts';
import type { LangCode } from '../../protocol/languages.ts';
import { ApiError } from '../errors.ts';
import type { Caller } from './caller.ts';
import { FlowContext, type FlowDeps, runSteps, type Step } from './flow-context.ts';
import { checkCallerOrigin, checkClaimedOrigin } from './steps/check-origin.ts';
import { checkCode } from './steps/check-code.ts';
import { checkConsentFlag } from './steps/check-consent-flag.ts';
import { checkPublicClient } from './steps/check-public-client.ts';
import { checkSends } from './steps/check-sends.ts';
import { checkTicket } from './steps/check-ticket.ts';
import { countQuotas, SMS_QUOTAS } from './steps/count-quotas.ts';
import { deliverCode } from './steps/deliver-code.ts';
import { findSession } from './steps/find-session.ts';
import { fixPerson } from './steps/fix-person.ts';
import { issueCode } from './steps/issue-code.ts';
import { issueLink } from './steps/issue-link.ts';
import { issueTicket } from './steps/issue-ticket.ts';
import { keyPerson } from './steps/key-person.ts';
import { loadClient } from './steps/load-client.ts';
import { matchTriedName } from './steps/match-tried-name.ts';
import { lookUpRecord } from './steps/look-up-record.ts';
import { newSession } from './steps/new-session.ts';
import { recordDisclosure, recordRefusal } from './steps/record-decision.ts';
import { recordNameTry } from './steps/record-name-try.ts';
import { refuseExpired } from './steps/refuse-expired.ts';
import { refuseLockedMobile } from './steps/refuse-locked-mobile.ts';
import { requireActiveClient } from './steps/require-active-client.ts';
import { requireApiKey } from './steps/require-api-key.ts';
import { requireCitizenFixed } from './steps/require-citizen-fixed.ts';
import { requireCorrectableName } from './steps/require-correctable-name.ts';
import { requireFrameHolder } from './steps/require-frame-holder.ts';
import { requireFreshCode } from './steps/require-fresh-code.ts';
import { requireMatch } from './steps/require-match.ts';
import { requireState } from './steps/require-state.ts';
import { resolveClient } from './steps/resolve-client.ts';
import { respondCodeSent, respondContext, respondCreated, respondView } from './steps/respond.ts';
import { respondNames } from './steps/respond-names.ts';
import { signToken } from './steps/sign-token.ts';
import { storeCode } from './steps/store-code.ts';
import { storeSession } from './steps/store-session.ts';

// Each endpoint is the list of its named steps, in order; a step is one file under ./steps/.

const START: Step<CreateSessionRequest>[] = [resolveClient, requireActiveClient, checkPublicClient, checkClaimedOrigin, newSession];

/** `POST /v1/sessions` without the person: the frame asks for it. */
const CREATE = [...START, countQuotas(['sessions_ip']), storeSession, issueLink, respondCreated];

/** `POST /v1/sessions` with mobile and name (host backend): the first code goes out in the same call. */
const CREATE_WITH_CODE: Step<CreateSessionRequest>[] = [
  ...START,
  keyPerson,
  refuseLockedMobile,
  countQuotas(['sessions_ip', ...SMS_QUOTAS]),
  lookUpRecord,
  issueCode,
  storeSession,
  issueLink,
  deliverCode,
  respondCreated,
];

/** The steps every call on an existing session starts with. */
const ON_SESSION: Step[] = [findSession, refuseExpired, loadClient, requireActiveClient, checkCallerOrigin];

const SEND_CODE: Step<SendOtpRequest>[] = [
  ...ON_SESSION,
  requireState('send_code'),
  keyPerson,
  fixPerson,
  checkSends,
  refuseLockedMobile,
  countQuotas(SMS_QUOTAS),
  lookUpRecord,
  issueCode,
  storeCode,
  deliverCode,
  respondCodeSent,
];

const CHECK_CODE: Step<VerifyOtpRequest & { consent: boolean }>[] = [
  ...ON_SESSION,
  checkConsentFlag,
  requireState('verify_code'),
  refuseLockedMobile,
  requireFreshCode,
  checkCode,
];

/** The right code from the frame (or a backend that lets the citizen decide): a consent ticket, no status. */
const VERIFY_CODE = [...CHECK_CODE, issueTicket];

/** The right code from a host backend with `consent: true`: its app collected the code, which was the consent. */
const VERIFY_CODE_WITH_CONSENT = [...CHECK_CODE, requireMatch, signToken, recordDisclosure('consent_with_code')];

const ALLOW: Step<ConsentRequest>[] = [...ON_SESSION, requireState('allow'), checkTicket, requireMatch, signToken, recordDisclosure('allow')];
const DENY: Step<ConsentRequest>[] = [...ON_SESSION, requireState('deny'), checkTicket, recordRefusal];

/**
 * After a name that matched no one: the code's holder in the frame (not a host backend) may see who
 * is on the mobile they proved and try another name, if they gave the name themselves.
 */
const NAME_CORRECTION: Step<{ consent_ticket: string }>[] = [
  ...ON_SESSION,
  requireState('correct_name'),
  checkTicket,
  requireFrameHolder,
  requireCitizenFixed,
  requireCorrectableName,
];
const CORRECT_NAME: Step<CorrectNameRequest>[] = [...NAME_CORRECTION, matchTriedName, recordNameTry];
const MEMBERS: Step<MembersRequest>[] = [...NAME_CORRECTION, respondNames];

const CONTEXT = [...ON_SESSION, respondContext];
const VIEW = [requireApiKey, requireActiveClient, findSession, respondView];

/** The verification flow over HTTP-shaped inputs: created → otp_sent → verified → completed | denied. */
export class SessionFlow {
  readonly #deps: FlowDeps;

  constructor(deps: FlowDeps) {
    this.#deps = deps;
  }

  create(input: CreateSessionRequest, caller: Caller): Promise<CreateSessionResponse> {
    if ((input.mobile === undefined) !== (input.name === undefined)) {
      throw new ApiError('invalid_request', 'Give both mobile and name, or neither.', { fields: ['mobile', 'name'] });
    }
    const [endpoint, steps] = input.mobile === undefined ? (['create', CREATE] as const) : (['create_with_code', CREATE_WITH_CODE] as const);
    return this.#run(endpoint, steps, caller, input) as Promise<CreateSessionResponse>;
  }

  sendOtp(id: string, input: SendOtpRequest, caller: Caller): Promise<SendOtpResponse> {
    return this.#run('send_code', SEND_CODE, caller, input, id) as Promise<SendOtpResponse>;
  }

  verifyOtp(id: string, input: VerifyOtpRequest, caller: Caller): Promise<VerifyOtpResponse> {
    const consent = input.consent === true;
    return this.#run(consent ? 'verify_code_with_consent' : 'verify_code', consent ? VERIFY_CODE_WITH_CONSENT : VERIFY_CODE, caller, { ...input, consent }, id) as Promise<VerifyOtpResponse>;
  }

  consent(id: string, input: ConsentRequest, caller: Caller): Promise<ConsentResponse> {
    const allow = input.decision === 'allow';
    return this.#run(allow ? 'allow' : 'deny', allow ? ALLOW : DENY, caller, input, id) as Promise<ConsentResponse>;
  }

  correctName(id: string, input: CorrectNameRequest, caller: Caller): Promise<CorrectNameResponse> {
    return this.#run('correct_name', CORRECT_NAME, caller, input, id) as Promise<CorrectNameResponse>;
  }

  members(id: string, input: MembersRequest, caller: Caller): Promise<MembersResponse> {
    return this.#run('members', MEMBERS, caller, input, id) as Promise<MembersResponse>;
  }

  context(id: string, caller: Caller, lang?: LangCode): Promise<SessionContext> {
    return this.#run('context', CONTEXT, caller, { lang }, id) as Promise<SessionContext>;
  }

  view(id: string, caller: Caller): Promise<SessionView> {
    return this.#run('view', VIEW, caller, {}, id) as Promise<SessionView>;
  }

  /** `endpoint` names the step list in step timings. */
  #run<Input>(endpoint: string, steps: readonly Step<Input>[], caller: Caller, input: Input, id?: string): Promise<unknown> {
    return runSteps(new FlowContext(this.#deps, caller, input, id), steps, endpoint);
  }
}

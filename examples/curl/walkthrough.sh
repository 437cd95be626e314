#!/usr/bin/env bash
# The whole server-to-server flow with curl, step by step, against a service in demo mode
# (`npm start`): the host's own app collects mobile, name and the code, so entering the code is
# the citizen's consent. The code comes from the demo SMS outbox; a real app asks the citizen.
#
#   KYCVS_URL=http://localhost:8080 API_KEY=demo-railway-key-not-secret CLIENT_ID=demo-railway \
#     bash walkthrough.sh 9123456780 "Arjun Singh"
#
# Needs curl; the last step verifies the token with the kycvs-verify command (@kycvs/verifier).
set -euo pipefail

KYCVS_URL=${KYCVS_URL:-http://localhost:8080}
KYCVS_ISSUER=${KYCVS_ISSUER:-$KYCVS_URL}
: "${API_KEY:?set API_KEY, the API key of your client}" "${CLIENT_ID:?set CLIENT_ID}"
MOBILE=${1:-9123456780}
NAME=${2:-Arjun Singh}
KYCVS_VERIFY=${KYCVS_VERIFY:-npx --no-install kycvs-verify}

# The value of a string or number field in a one-line JSON answer (enough for these answers).
field() { sed -n -E "s/.*\"$1\":\"?([^\",}]*).*/\1/p"; }
api() { # METHOD PATH [JSON]: prints the answer; on an HTTP error prints it to stderr and fails
  local answer
  if ! answer=$(curl --silent --show-error --fail-with-body -X "$1" "$KYCVS_URL$2" \
    -H "authorization: Bearer $API_KEY" ${3:+-H 'content-type: application/json' --data "$3"}); then
    printf '%s\n' "$answer" >&2
    return 1
  fi
  printf '%s\n' "$answer"
}
step() { printf '\n== %s\n' "$*" >&2; }

step "1. Discovery: the issuer and where its keys are"
CONFIG=$(curl --silent --show-error --fail "$KYCVS_URL/.well-known/kycvs-configuration")
echo "${CONFIG:0:160}…" >&2

step "2. Create a session with the API key and a fresh nonce (keep both for step 6)"
NONCE=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
SESSION=$(api POST /v1/sessions "{\"nonce\":\"$NONCE\",\"purpose\":\"Check-in\"}")
echo "$SESSION" >&2
SESSION_ID=$(field session_id <<<"$SESSION")

step "3. Send the code to the citizen's registered mobile (the same answer whether or not it is registered)"
outbox() { curl --silent --show-error --fail "$KYCVS_URL/v1/dev/sms?mobile=$MOBILE"; }
BEFORE=$(outbox)
api POST "/v1/sessions/$SESSION_ID/otp" "{\"mobile\":\"$MOBILE\",\"name\":\"$NAME\"}" >&2

step "4. The citizen reads the code (here: the demo outbox, demo mode only)"
for _ in $(seq 100); do OUTBOX=$(outbox); [ "$OUTBOX" != "$BEFORE" ] && break; sleep 0.1; done # the SMS goes out asynchronously
CODE=$(printf '%s' "$OUTBOX" | grep -o '"text":"[0-9]\{6\}' | head -n 1 | grep -o '[0-9]\{6\}')
echo "code $CODE" >&2

step "5. The code, entered in your app, with consent: true → the signed token"
ANSWER=$(api POST "/v1/sessions/$SESSION_ID/otp/verify" "{\"otp\":\"$CODE\",\"consent\":true}")
TOKEN=$(field token <<<"$ANSWER")
echo "vaccination_status (unverified yet): $(field vaccination_status <<<"$ANSWER")" >&2
STATE=$(api GET "/v1/sessions/$SESSION_ID")
echo "${STATE:0:120}…" >&2

step "6. Verify the token: signature against the JWKS, issuer, audience, nonce, session"
$KYCVS_VERIFY "$TOKEN" --issuer "$KYCVS_ISSUER" --audience "$CLIENT_ID" --nonce "$NONCE" --session "$SESSION_ID"

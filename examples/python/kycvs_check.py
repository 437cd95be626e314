#!/usr/bin/env python3
"""A KYC-VS host backend in Python, server to server: its own app collects mobile, name and the
code, so entering the code is the citizen's consent (`consent: true`). Then it verifies the token
with PyJWT against the service's published keys (JWKS), as any host backend must.

    KYCVS_URL=http://localhost:8080 CLIENT_ID=demo-railway API_KEY=demo-railway-key-not-secret \
      python3 kycvs_check.py 9123456780 "Arjun Singh"

Needs PyJWT with cryptography (Debian: apt-get install python3-jwt python3-cryptography).
The code is read from the demo SMS outbox (`GET /v1/dev/sms`, demo mode only): a real app asks
the citizen to type it.
"""
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import jwt  # PyJWT

KYCVS_URL = os.environ.get("KYCVS_URL", "http://localhost:8080").rstrip("/")
ISSUER = os.environ.get("KYCVS_ISSUER", KYCVS_URL)
CLIENT_ID = os.environ["CLIENT_ID"]
API_KEY = os.environ["API_KEY"]


def call(method, path, body=None, api_key=API_KEY):
    """One JSON request; returns the decoded answer, raises on an error answer with its code."""
    request = urllib.request.Request(KYCVS_URL + path, method=method)
    if api_key:
        request.add_header("Authorization", "Bearer " + api_key)
    data = None
    if body is not None:
        request.add_header("Content-Type", "application/json")
        data = json.dumps(body).encode()
    try:
        with urllib.request.urlopen(request, data) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        answer = json.load(error)
        raise SystemExit(f"{method} {path}: {error.code} {answer.get('error')}: {answer.get('message')}")


def demo_outbox(mobile):
    """The demo SMS outbox for this mobile, newest first (demo mode only)."""
    return call("GET", "/v1/dev/sms?mobile=" + urllib.parse.quote(mobile), api_key=None)["messages"]


def demo_sms_code(mobile, before):
    """The code of the first text newer than `before` (the SMS goes out asynchronously)."""
    for _ in range(100):
        messages = demo_outbox(mobile)
        if messages and messages[:1] != before[:1]:
            return re.match(r"(\d{6}) ", messages[0]["text"]).group(1)
        time.sleep(0.1)
    raise SystemExit("no SMS arrived in the demo outbox")


def verify_token(token, nonce, session_id):
    """Signature (EdDSA, key by kid from the JWKS), typ, iss, aud, exp, nonce and txn."""
    jwks = jwt.PyJWKClient(ISSUER + "/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["EdDSA"],
        audience=CLIENT_ID,
        issuer=ISSUER,
        options={"require": ["iss", "aud", "sub", "iat", "exp", "jti", "txn", "vaccination_status"]},
        leeway=30,
    )
    if jwt.get_unverified_header(token).get("typ") != "kycvs-status+jwt":  # signed header: checked after the signature
        raise jwt.InvalidTokenError("typ is not kycvs-status+jwt")
    if claims.get("nonce") != nonce:
        raise jwt.InvalidTokenError("nonce_mismatch")
    if claims["txn"] != session_id:
        raise jwt.InvalidTokenError("txn_mismatch")
    if claims["vaccination_status"] not in (0, 1, 2):
        raise jwt.InvalidTokenError("claims_invalid")
    return claims


def main(mobile, name):
    nonce = secrets.token_urlsafe(16)
    session = call("POST", "/v1/sessions", {"nonce": nonce, "purpose": "Check-in"})
    session_id = session["session_id"]
    before = demo_outbox(mobile)
    call("POST", f"/v1/sessions/{session_id}/otp", {"mobile": mobile, "name": name})
    code = demo_sms_code(mobile, before)  # the citizen reads it from the SMS and types it into your app
    answer = call("POST", f"/v1/sessions/{session_id}/otp/verify", {"otp": code, "consent": True})
    claims = verify_token(answer["token"], nonce, session_id)
    print(json.dumps({"session_id": session_id, "vaccination_status": claims["vaccination_status"], "sub": claims["sub"]}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: kycvs_check.py MOBILE 'FULL NAME'")
    main(sys.argv[1], sys.argv[2])

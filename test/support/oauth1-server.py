"""A real OAuth 1.0a provider for the end-to-end tests: Authlib's Flask integration
with in-memory clients and credentials. Run with Debian's /usr/bin/python3 (packages
python3-authlib and python3-flask). Prints `READY <port>` once it listens.

Usage: oauth1-server.py <clients.json>
clients.json: {"<client_id>": {"secret": "...", "rsa_public_key": "PEM or null"}}
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # loopback http in tests

from flask import Flask, jsonify, request, redirect  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from authlib.integrations.flask_oauth1 import (  # noqa: E402
    AuthorizationServer,
    ResourceProtector,
    current_credential,
)
from authlib.oauth1 import ClientMixin, TemporaryCredential, TokenCredentialMixin  # noqa: E402
from authlib.oauth1.rfc5849 import signature as sig  # noqa: E402
from authlib.oauth1.rfc5849.base_server import BaseServer  # noqa: E402
from authlib.oauth1.rfc5849.errors import OAuth1Error  # noqa: E402


class Client(ClientMixin):
    def __init__(self, client_id, data):
        self.client_id = client_id
        self.client_secret = data.get("secret") or ""
        self.rsa_public_key = data.get("rsa_public_key")

    def get_default_redirect_uri(self):
        return None

    def get_client_secret(self):
        return self.client_secret

    def get_rsa_public_key(self):
        return self.rsa_public_key.encode() if self.rsa_public_key else None


class TokenCredential(dict, TokenCredentialMixin):
    def get_oauth_token(self):
        return self["oauth_token"]

    def get_oauth_token_secret(self):
        return self["oauth_token_secret"]


with open(sys.argv[1]) as f:
    CLIENTS = {cid: Client(cid, data) for cid, data in json.load(f).items()}
TEMPORARY = {}
TOKENS = {}
NONCES = set()
LOG = []


def verify_hmac_sha256(req):
    # Authlib 1.2 ships HMAC-SHA1 only; HMAC-SHA256 is the same construction
    # (RFC 5849 3.4.2) over Authlib's own base string, with SHA-256.
    base = sig.generate_signature_base_string(req)
    key = "&".join([sig.escape(req.client_secret or ""), sig.escape(req.token_secret or "")])
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), req.signature)


BaseServer.register_signature_method("HMAC-SHA256", verify_hmac_sha256)

app = Flask(__name__)
app.config["OAUTH1_SUPPORTED_SIGNATURE_METHODS"] = ["HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1", "PLAINTEXT"]


def query_client(client_id):
    return CLIENTS.get(client_id)


def exists_nonce(nonce, timestamp, client_id, token):
    key = (nonce, timestamp, client_id, token)
    if key in NONCES:
        return True
    NONCES.add(key)
    return False


server = AuthorizationServer(app, query_client=query_client)
server.register_hook("exists_nonce", exists_nonce)


def create_temporary_credential(token, client_id, redirect_uri):
    cred = TemporaryCredential(token)
    cred["client_id"] = client_id
    cred["oauth_callback"] = redirect_uri
    TEMPORARY[token["oauth_token"]] = cred
    return cred


server.register_hook("create_temporary_credential", create_temporary_credential)
server.register_hook("get_temporary_credential", lambda token: TEMPORARY.get(token))
server.register_hook("delete_temporary_credential", lambda token: TEMPORARY.pop(token, None))


def create_authorization_verifier(credential, grant_user, verifier):
    credential["user_id"] = grant_user
    credential["oauth_verifier"] = verifier


server.register_hook("create_authorization_verifier", create_authorization_verifier)


def create_token_credential(token, temporary_credential):
    cred = TokenCredential(token)
    cred["client_id"] = temporary_credential.get_client_id()
    cred["user_id"] = temporary_credential.get_user_id()
    TOKENS[token["oauth_token"]] = cred
    return cred


server.register_hook("create_token_credential", create_token_credential)


def query_token(client_id, oauth_token):
    cred = TOKENS.get(oauth_token)
    if cred and cred["client_id"] == client_id:
        return cred
    return None


class RawUrlResourceProtector(ResourceProtector):
    # Authlib's Flask protector verifies against Werkzeug's `request.url`, which
    # re-encodes the query (`%2B` comes back as `+`, a space once decoded) and a
    # flattened form (repeated names lost): both change the RFC 5849 base string.
    # The raw query and every form value are what the client signed.
    def acquire_credential(self):
        from flask import g
        url = request.base_url + ("?" + request.query_string.decode() if request.query_string else "")
        req = self.validate_request(request.method, url, list(request.form.items(multi=True)), request.headers)
        g.authlib_server_oauth1_credential = req.credential
        return req.credential


require_oauth = RawUrlResourceProtector(app, query_client=query_client, query_token=query_token, exists_nonce=exists_nonce)


@app.before_request
def record():
    LOG.append({"method": request.method, "path": request.path, "time": time.time()})


@app.route("/log")
def log():
    return jsonify(LOG)


@app.route("/initiate", methods=["POST"])
def initiate():
    return server.create_temporary_credentials_response()


@app.route("/authorize")
def authorize():
    if request.args.get("deny"):
        # RFC 5849 leaves denial to the provider; X-style providers send `denied=`.
        cred = TEMPORARY.get(request.args.get("oauth_token", ""))
        target = cred["oauth_callback"] if cred else None
        if not target:
            return "unknown temporary credential", 400
        sep = "&" if "?" in target else "?"
        return redirect(target + sep + "denied=" + request.args["oauth_token"])
    try:
        server.check_authorization_request()
    except OAuth1Error as error:
        return error.error, 400
    return server.create_authorization_response(grant_user="alice")


@app.route("/token", methods=["POST"])
def token():
    response = server.create_token_response()
    if response.status_code == 200:
        # Extras a provider such as X returns with the token credentials.
        from urllib.parse import parse_qs, urlencode
        issued = parse_qs(response.get_data(as_text=True))["oauth_token"][0]
        extras = urlencode({"user_id": TOKENS[issued]["user_id"], "screen_name": "alice"})
        response.set_data(response.get_data(as_text=True) + "&" + extras)
    return response


@app.route("/api/me", methods=["GET", "POST", "PUT"])
@require_oauth()
def me():
    cred = current_credential
    return jsonify(
        user_id=cred["user_id"],
        client_id=cred["client_id"],
        method=request.method,
        query=request.args.to_dict(flat=False),
        form=request.form.to_dict(flat=False),
        json=request.get_json(silent=True),
    )


if __name__ == "__main__":
    http = make_server("127.0.0.1", 0, app, threaded=True)
    print("READY %d" % http.server_port, flush=True)
    http.serve_forever()

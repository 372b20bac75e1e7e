"""A real OAuth 1.0a provider for the tests: Authlib's Flask integration
(authlib.integrations.flask_oauth1) with in-memory clients and credentials.

Run with Debian's /usr/bin/python3 (apt-get install -y python3-authlib python3-flask):

    oauth1-server.py <clients.json> [port]

clients.json: {"<client_id>": {"secret": "...", "rsa_public_key": "PEM" or null}}
The port defaults to 0 (a free one). Listens on 127.0.0.1 and prints `READY <port>`
once it accepts connections. Exits when its standard input closes, so it never
outlives the test process that started it.

Endpoints:
  POST /initiate   temporary credentials (RFC 5849 2.1)
  GET  /authorize  approves for the user "alice" and redirects to the callback with
                   oauth_token and oauth_verifier (2.2). `deny=1`: X-style denial,
                   the callback gets `denied=<oauth_token>`. `deny=authlib`: Authlib's
                   own denial, the callback gets `error=access_denied` and no token.
                   An `oob` callback gets a JSON answer with oauth_token and oauth_verifier.
  POST /token      token credentials (2.3), plus user_id and screen_name as X sends
  GET|POST|PUT /api/me   a protected resource: the user, what was received, and
                   where the protocol parameters were found
  GET  /log        every request received: method, path, protocol parameter
                   placement and signature method
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # loopback http in tests

from flask import Flask, g, jsonify, redirect, request  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from authlib.common.urls import url_encode  # noqa: E402
from authlib.integrations.flask_oauth1 import (  # noqa: E402
    AuthorizationServer,
    ResourceProtector,
    current_credential,
)
from authlib.oauth1 import ClientMixin, OAuth1Request, TemporaryCredential, TokenCredentialMixin  # noqa: E402
from authlib.oauth1.rfc5849 import signature as sig  # noqa: E402
from authlib.oauth1.rfc5849.base_server import BaseServer  # noqa: E402
from authlib.oauth1.rfc5849.errors import InvalidRequestError, OAuth1Error  # noqa: E402

USER = "alice"


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
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 0
TEMPORARY = {}
TOKENS = {}
NONCES = set()
LOG = []
LOCK = threading.Lock()


def verify_hmac_sha256(req):
    # Authlib 1.2 verifies HMAC-SHA1, RSA-SHA1 and PLAINTEXT only. HMAC-SHA256 is
    # the HMAC-SHA1 construction (RFC 5849 3.4.2) with SHA-256, over Authlib's own
    # base string and key.
    base = sig.generate_signature_base_string(req)
    key = sig.escape(req.client_secret or "") + "&" + sig.escape(req.token_secret or "")
    digest = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    return hmac.compare_digest(digest, req.signature or "")


BaseServer.register_signature_method("HMAC-SHA256", verify_hmac_sha256)

app = Flask(__name__)
app.config["OAUTH1_SUPPORTED_SIGNATURE_METHODS"] = ["HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1", "PLAINTEXT"]


def query_client(client_id):
    return CLIENTS.get(client_id)


def exists_nonce(nonce, timestamp, client_id, token):
    # RFC 5849 3.3: a nonce is unique per timestamp, client and token.
    key = (nonce, timestamp, client_id, token)
    with LOCK:
        if key in NONCES:
            return True
        NONCES.add(key)
        return False


def raw_request_parts():
    """The request as the client sent it, for the signature base string.

    Flask's `request.url` is an IRI rebuilt from decoded parts (`%2B` in a query comes
    back as `+`, a space once decoded), and `request.form.to_dict()` keeps one value
    per name: both change what was signed. The raw request target and the raw form
    body are what the client signed (RFC 5849 3.4.1).
    """
    target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    url = "%s://%s%s" % (request.scheme, request.host, target)
    body = None
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype == "application/x-www-form-urlencoded":
        body = request.get_data(as_text=True)  # cached: request.form still parses it
    return url, body


def raw_oauth1_request():
    url, body = raw_request_parts()
    try:
        return OAuth1Request(request.method, url, body, request.headers)
    except ValueError as error:  # a malformed Authorization header or query
        raise InvalidRequestError(str(error))


def placement():
    found = []
    if request.headers.get("Authorization", "").lower().startswith("oauth "):
        found.append("header")
    if any(k.startswith("oauth_") for k in request.args.keys()):
        found.append("query")
    if request.mimetype == "application/x-www-form-urlencoded" and any(k.startswith("oauth_") for k in request.form.keys()):
        found.append("body")
    return found


server = AuthorizationServer(app, query_client=query_client)
server.register_hook("exists_nonce", exists_nonce)


def create_temporary_credential(token, client_id, redirect_uri):
    cred = TemporaryCredential(token)
    cred["client_id"] = client_id
    cred["oauth_callback"] = redirect_uri
    TEMPORARY[token["oauth_token"]] = cred
    return cred


def create_authorization_verifier(credential, grant_user, verifier):
    credential["user_id"] = grant_user
    credential["oauth_verifier"] = verifier


def create_token_credential(token, temporary_credential):
    cred = TokenCredential(token)
    cred["client_id"] = temporary_credential.get_client_id()
    cred["user_id"] = temporary_credential.get_user_id()
    TOKENS[token["oauth_token"]] = cred
    return cred


server.register_hook("create_temporary_credential", create_temporary_credential)
server.register_hook("get_temporary_credential", lambda token: TEMPORARY.get(token))
server.register_hook("delete_temporary_credential", lambda token: TEMPORARY.pop(token, None))
server.register_hook("create_authorization_verifier", create_authorization_verifier)
server.register_hook("create_token_credential", create_token_credential)


def query_token(client_id, oauth_token):
    cred = TOKENS.get(oauth_token)
    if cred and cred["client_id"] == client_id:
        return cred
    return None


class RawRequestResourceProtector(ResourceProtector):
    def acquire_credential(self):
        url, body = raw_request_parts()
        try:
            req = self.validate_request(request.method, url, body, request.headers)
        except ValueError as error:
            raise InvalidRequestError(str(error))
        g.authlib_server_oauth1_credential = req.credential
        g.oauth1_request = req
        return req.credential


require_oauth = RawRequestResourceProtector(app, query_client=query_client, query_token=query_token, exists_nonce=exists_nonce)


def error_response(error):
    return server.handle_error_response(error)


@app.before_request
def record():
    # Read the raw body first: once Werkzeug parses a form, get_data() is empty.
    request.get_data(cache=True)
    entry = {"method": request.method, "path": request.path, "time": time.time(), "placement": placement()}
    with LOCK:
        LOG.append(entry)


@app.route("/log")
def log():
    with LOCK:
        return jsonify(LOG)


@app.route("/initiate", methods=["GET", "POST"])
def initiate():
    try:
        req = raw_oauth1_request()
    except OAuth1Error as error:
        return error_response(error)
    return server.create_temporary_credentials_response(req)


@app.route("/authorize")
def authorize():
    deny = request.args.get("deny")
    if deny and deny != "authlib":
        # RFC 5849 leaves denial to the provider; X sends the user back with `denied=`.
        cred = TEMPORARY.get(request.args.get("oauth_token", ""))
        if not cred or not cred["oauth_callback"] or cred["oauth_callback"] == "oob":
            return "unknown temporary credential", 400
        target = cred["oauth_callback"]
        return redirect(target + ("&" if "?" in target else "?") + url_encode([("denied", request.args["oauth_token"])]))
    try:
        req = server.check_authorization_request()
    except OAuth1Error as error:
        return error.error, 400
    if req.credential.get_redirect_uri() == "oob":
        # RFC 5849 2.1 "oob": no callback; the provider shows the verifier instead
        # (Authlib would redirect to the client's default redirect URI, and there is none).
        if deny:
            return jsonify(error="access_denied")
        req.user = USER
        return jsonify(oauth_token=req.token, oauth_verifier=server.create_authorization_verifier(req))
    # Authlib's own denial (grant_user None) redirects with error=access_denied.
    return server.create_authorization_response(grant_user=None if deny == "authlib" else USER)


@app.route("/token", methods=["POST"])
def token():
    try:
        req = raw_oauth1_request()
    except OAuth1Error as error:
        return error_response(error)
    response = server.create_token_response(req)
    if response.status_code == 200:
        # Extras a provider such as X returns with the token credentials.
        from urllib.parse import parse_qs
        issued = parse_qs(response.get_data(as_text=True))["oauth_token"][0]
        extras = url_encode([("user_id", TOKENS[issued]["user_id"]), ("screen_name", USER)])
        response.set_data(response.get_data(as_text=True) + "&" + extras)
    return response


@app.route("/api/me", methods=["GET", "POST", "PUT"])
@require_oauth()
def me():
    cred = current_credential
    req = g.oauth1_request
    return jsonify(
        user_id=cred["user_id"],
        client_id=cred["client_id"],
        method=request.method,
        signature_method=req.signature_method,
        signature_type=req.signature_type,
        query=request.args.to_dict(flat=False),
        form=request.form.to_dict(flat=False),
        json=request.get_json(silent=True),
    )


def exit_when_parent_goes():
    # The test process holds our stdin; when it exits (even killed), stdin closes.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    http = make_server("127.0.0.1", PORT, app, threaded=True)
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    print("READY %d" % http.server_port, flush=True)
    http.serve_forever()

"""A real OpenID Connect provider on 127.0.0.1 for the browser tests (pytest-iam's Canaille
server, in memory): one client, this server's callback, and one person with a password, who
signs in on the provider's own pages.

    python tests/oidc_provider.py PORT CALLBACK_URL

The client id, its secret and the person's username and password come from the environment
(OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_USERNAME, OIDC_PASSWORD); the issuer is
http://localhost:PORT/ ("localhost", not "127.0.0.1", so that the two servers' cookies, which
ignore the port, do not overwrite each other)."""

from __future__ import annotations

import datetime
import os
import sys
import uuid

from canaille import create_app
from canaille.backends import Backend
from joserfc.jwk import JWKRegistry
from pytest_iam import Server


def configuration(port: int) -> dict:
    """pytest-iam's own test settings: an in-memory database, every permission for everyone."""
    key = JWKRegistry.generate_key("RSA", 2048)
    key.ensure_kid()
    return {
        "TESTING": True,
        "ENV_FILE": None,
        "SECRET_KEY": uuid.uuid4().hex,
        "WTF_CSRF_ENABLED": False,
        "PREFERRED_URL_SCHEME": "http",
        "SERVER_NAME": f"localhost:{port}",
        "CANAILLE": {
            "DATABASE": "memory",
            "JAVASCRIPT": False,
            "ACL": {"DEFAULT": {"PERMISSIONS": ["use_oidc"]}},
        },
        "CANAILLE_OIDC": {"ACTIVE_JWKS": [key.as_dict(private=True)]},
    }


def register_client(server: Server, client_id: str, secret: str, callback: str):
    """This server as the provider's client, sent back to `callback` after a sign-in."""
    client = server.models.Client(
        client_id=client_id,
        client_secret=secret,
        client_name="DeepCell Label",
        client_id_issued_at=datetime.datetime.now(datetime.UTC),
        redirect_uris=[callback],
        grant_types=["authorization_code"],
        response_types=["code"],
        token_endpoint_auth_method="client_secret_basic",
        scope=["openid", "profile", "email"],
    )
    server.backend.save(client)
    return client


def main(port: int, callback: str) -> None:
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on this machine only
    app = create_app(config=configuration(port), env_file=None, env_prefix="OIDC_PROVIDER_")
    server = Server(app, port, Backend.instance)
    with app.app_context():
        register_client(
            server, os.environ["OIDC_CLIENT_ID"], os.environ["OIDC_CLIENT_SECRET"], callback
        )
        person = server.random_user(
            user_name=os.environ["OIDC_USERNAME"],
            given_name="Sandra",
            family_name="Lee",
            formatted_name="Sandra Lee",
            display_name="Sandra Lee",
            emails=["sandra@lab.example"],
        )
        server.backend.set_user_password(person, os.environ["OIDC_PASSWORD"])
    print(f"OpenID Connect provider at {server.url}", flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])

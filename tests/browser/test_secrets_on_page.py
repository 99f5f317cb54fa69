"""Secrets on screen: a values file with distinct fake secrets of every kind, every fold and
expander of the page opened, "Show secrets" off: none of them may be in the page's HTML, while
the values under `secrets:` that are not secrets (the database host, a bucket URL) are shown."""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.browser

PLANTED = {
    "URL password with a quote": "antURLpass",
    "Sentry DSN key": "plantDSNkey0123456789",
    "env-list token": "plantAPItokenValue",
    "TLS private key": "MIIplantTLSprivatekey",
    "secrets.db.password": "plantDBpassword",
}
VISIBLE = {"database host": "db-host-visible.internal", "bucket URL": "s3://bucket-visible/registry"}
PLANTED_VALUES = textwrap.dedent(
    """\
    controlPlane:
      rootUrl: https://adaptive.example.com
    minio:
      extraEnvVars:
        - name: REDIS_URL
          value: "redis://app:pl'antURLpass@redis.internal:6379/0"
        - name: SENTRY_DSN
          value: "https://plantDSNkey0123456789@o1.ingest.sentry.io/42"
        - name: API_TOKEN
          value: "plantAPItokenValue"
    harmony:
      computePools:
        - name: gpu
          replicas: 1
    extraObjects:
      - apiVersion: v1
        kind: Secret
        metadata:
          name: extra-tls
        type: kubernetes.io/tls
        stringData:
          tls.crt: |
            -----BEGIN CERTIFICATE-----
            MIIcertificatePublicPart
            -----END CERTIFICATE-----
          tls.key: |
            -----BEGIN PRIVATE KEY-----
            MIIplantTLSprivatekey
            -----END PRIVATE KEY-----
    secrets:
      db:
        username: app
        password: "plantDBpassword"
        host: db-host-visible.internal:5432
        database: adaptive
      modelRegistryUrl: s3://bucket-visible/registry
      sharedDirectoryUrl: s3://bucket-visible/shared
      cookiesSecret: plantCookieSecretValue
      auth:
        internalJwtPrivateKeyV4Base64: plantJwtKeyValue
        oidc:
          providers:
            - key: google
              name: Google
              issuer_url: https://accounts.google.com
              client_id: plant-client-id
              client_secret: plantClientSecret
              scopes: [email, profile]
              pkce: true
              allow_sign_up: true
              require_email_verified: true
    """
).encode()


def open_everything(session) -> int:
    """Open every expander (the lazy ones rerun, so until none is left closed) and every fold."""
    page = session.page
    main = page.locator('[data-testid="stMain"]')
    opened = 0
    for _ in range(60):
        closed = main.locator('[data-testid="stExpander"] details:not([open]) > summary')
        if closed.count() == 0:
            break
        closed.first.click()
        opened += 1
        session.idle()
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    page.wait_for_timeout(300)
    return opened


def test_planted_secrets_never_reach_the_page_while_masked(session, capsys):
    session.open()
    session.upload({"name": "planted.yaml", "mimeType": "application/x-yaml", "buffer": PLANTED_VALUES})
    session.page.locator(".st-key-up_done").wait_for()
    session.idle()
    opened = open_everything(session)
    html = session.page.content()
    assert "What the upgrade does to your cluster" in html and "sbs-diff" in html
    leaks = [what for what, secret in PLANTED.items() if secret in html]
    with capsys.disabled():
        print(f"\n[secrets] {opened} expanders opened; shown while masked: {leaks or 'none'}")
    assert leaks == [], f"shown while masked: {leaks}"
    for what, value in VISIBLE.items():
        assert value in html, what
    # The toggle shows them, in this session only.
    session.page.get_by_text("Show secrets").click()
    session.idle()
    session.page.locator(".sbs-diff", has_text=PLANTED["secrets.db.password"]).wait_for()

"""What several test files share: the planted secrets, a relabelled chart package, a synthetic change.

Imported as `tests.samples` (pytest runs from the repository's root, `python -m pytest`).
"""

from __future__ import annotations

import io
import re
import tarfile
import textwrap
from collections.abc import Callable
from typing import Any

from migrator.changes.change import BreakingChange
from migrator.chart import packages

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


def relabelled_package(version: str, template: str | None = None, template_name: str = "extra.yaml") -> bytes:
    """A copy of the newest shipped package, relabelled `version`, with one more template if given."""
    shipped = io.BytesIO(packages.shipped(packages.newest_version()).data)
    out = io.BytesIO()
    with tarfile.open(fileobj=shipped, mode="r:gz") as source, tarfile.open(fileobj=out, mode="w:gz") as dest:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == "adaptive/Chart.yaml":
                data = re.sub(rb"(?m)^version:.*$", f"version: {version}".encode(), data)
                member.size = len(data)
            dest.addfile(member, io.BytesIO(data) if data is not None else None)
        if template is not None:
            info = tarfile.TarInfo(f"adaptive/templates/{template_name}")
            info.size = len(template.encode())
            dest.addfile(info, io.BytesIO(template.encode()))
    return out.getvalue()


def synthetic_change(change_id: str, version: str, apply: Callable[[Any], None]) -> BreakingChange:
    """A registry record around `apply`, for tests of the chain of changes."""
    return BreakingChange(
        id=change_id,
        version=version,
        title=change_id,
        explanation="",
        automated="",
        manual_steps=(),
        example_before="",
        example_after="",
        apply=apply,
    )

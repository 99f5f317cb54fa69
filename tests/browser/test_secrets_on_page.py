"""Secrets on screen: a values file with distinct fake secrets of every kind, every fold and
expander of the page opened, "Show secrets" off: none of them may be in the page's HTML, while
the values under `secrets:` that are not secrets (the database host, a bucket URL) are shown."""

from __future__ import annotations

import pytest

from tests.samples import PLANTED, PLANTED_VALUES, VISIBLE

pytestmark = pytest.mark.browser


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

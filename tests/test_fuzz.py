"""Mutated real values files: the engine answers with a report or one InputError, never a crash.

A bounded, seeded version of the fuzzing that found the crashes fixed in the
engine (a `[` in a key, an unclosed IPv6 host in dbUrl, a trailing `? key`):
each mutated file is analysed at several targets, with and without the opt-in
rewrites, its report serialised, and any migrated result migrated again must
come back unchanged.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from migrator import InputError, analyze
from migrator.report.markdown import report_markdown

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SEEDS = sorted(CORPUS.glob("adaptive--values-*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
SNIPPETS = [
    "  group: x\n",
    "  replicaCount: 0\n",
    "  dbUrl: ::\n",
    "  - name: A B\n",
    "\t",
    "&a ",
    "*a",
    "{",
    "[",
    "'",
    '"',
    "#",
    ": ",
    "- ",
    "  computePools: []\n",
    "harmony: 3\n",
    "secrets: []\n",
    "\r\n",
    "~",
    "  capabilities: TRAINING\n",
    "harmony:\n  group: g\n",
    "secrets:\n  dbUrl: postgresql://a:b@[::1/d\n",
    "serviceAccount:\n  create: true\n  annotations:\n    eks.amazonaws.com/role-arn: x\n",
    "? a\n",
    "  partitionKey: p\n",
    "<<: *a\n",
    "---\n",
    '  "pool[gpu]": 1\n',
]

# Values to put in place of an existing key's value.
VALUES = [
    "postgresql://a:b@[::1/d",
    "postgres://u:p@h:99999/d",
    "postgres://h/d?sslmode=require",
    "0",
    '""',
    "[]",
    "{}",
    "null",
    "'x y'",
    "TRAINING,EVALUATION",
    "-1",
    "true",
    "GPU Pool",
    "&b x",
    "*nope",
    "|",
]
_KEY_LINE = re.compile(r"^(\s*[\w./-]+:[ ]+)(\S.*)$")


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        roll = rng.random()
        match = _KEY_LINE.match(lines[i].rstrip("\r\n"))
        if roll < 0.3 and match:
            lines[i] = match.group(1) + rng.choice(VALUES) + "\n"
        elif roll < 0.45 and len(lines) > 1:
            del lines[i]
        elif roll < 0.6:
            lines.insert(i, rng.choice(SNIPPETS))
        else:
            j = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:j] + rng.choice(SNIPPETS) + lines[i][j:]
    return "".join(lines)


@pytest.mark.parametrize(
    ("seed", "rounds", "prove"),
    # Most rounds exercise reading and editing; fewer go through Helm's renders and the ledger too.
    [*((seed, 300, False) for seed in range(6)), (6, 60, True), (7, 60, True)],
)
def test_mutated_files_get_a_report_or_a_clear_error(seed: int, rounds: int, prove: bool) -> None:
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    reports = errors = 0
    for _ in range(rounds):
        text = _mutate(rng.choice(texts), rng)
        options = rng.choice([(), ("capabilities-job", "s3-creds-move")])
        target = rng.choice([None, "0.18.0", "0.25.0", "0.30.0", "0.42.0"])
        try:
            report = analyze(
                text,
                target=target,
                options=options,
                release=rng.choice(["adaptive", "prod"]),
                prove_with_helm=prove,
            )
        except InputError as exc:
            assert str(exc)  # one message, never empty
            errors += 1
            continue
        reports += 1
        report.to_json()
        report_markdown(report)
        if report.migrated_yaml is not None:
            again = analyze(
                report.migrated_yaml, target=report.target, options=options, prove_with_helm=prove
            )
            assert again.migrated_yaml == report.migrated_yaml, text
    assert reports > rounds // 30 and errors > rounds // 30  # the mutations reach both outcomes

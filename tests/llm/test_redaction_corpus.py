"""The redaction rules on the whole corpus of pasted lines (tests/llm/redaction_corpus.py): each
secret gone, each benign line word for word. `python -m bench.redaction` prints the same figures
next to detect-secrets'."""

import pytest

from llm.redaction import REDACTED, redact_secrets
from tests.llm.redaction_corpus import BENIGN, SECRETS, remains


def test_the_corpus_is_large_and_each_secret_is_its_own_part_of_its_line():
    assert len(SECRETS) >= 100
    assert len(BENIGN) >= 100
    for line, secret in SECRETS:
        assert secret in line
        # Otherwise a fragment of the secret could remain in the words around it, redacted or not.
        assert not remains(secret, line.replace(secret, "\0")), line


@pytest.mark.parametrize(("line", "secret"), SECRETS, ids=[secret for _, secret in SECRETS])
def test_it_removes_every_secret_in_the_corpus(line, secret):
    redacted = redact_secrets(line)

    assert not remains(secret, redacted), redacted
    assert REDACTED in redacted


@pytest.mark.parametrize("line", BENIGN, ids=[line[:70] for line in BENIGN])
def test_it_leaves_every_benign_line_as_it_was(line):
    assert redact_secrets(line) == line


@pytest.mark.parametrize("line", [line for line, _ in SECRETS], ids=[secret for _, secret in SECRETS])
def test_redacting_a_redacted_line_again_changes_nothing(line):
    # Script generations are stored redacted and pass through the rules again on their way to the model.
    once = redact_secrets(line)

    assert redact_secrets(once) == once

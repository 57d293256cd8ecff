"""Drafts of realistic sessions (tests/drafting/draft_corpus.py), built in the database through the services.

Offline, each draft contains every line the corpus asks for and nothing it forbids. Through the model (the
real SDK against the Claude stub on 127.0.0.1), the system prompt the SDK sends states each rule, and the
session the model receives marks the assistant's facts unconfirmed, names every source in words and lists
each script once. The stub's answer is stored as the stub wrote it: these tests check what the model is
told and given, not that a real model obeys."""

import json
import re

import pytest

from devtools.claude_stub import well_formed_answer
from drafting.bundle import SOURCE_IN_WORDS
from drafting.kinds import DraftKind
from drafting.models import OFFLINE
from drafting.offline import UNCONFIRMED_HEADING
from drafting.pipeline import draft_generate
from drafting.prompts import SYSTEM_PROMPT
from drafting.validation import check_format
from sessions import services
from tests.drafting.draft_corpus import CASES, CUSTOMER_NOTE_NEVER, PACKAGE_NEVER, SCRIPT_PASSWORD, TEMPLATES

CASE_IDS = [case["id"] for case in CASES]


def build_session(case: dict, *, account, user):
    """The case's session as an engineer would have recorded it, write by write."""
    session = services.session_create(account=account, user=user, **case["session"])
    for text, source_type in case["facts"]:
        services.fact_add(session=session, user=user, text=text, source_type=source_type)
    for check in case["checks"]:
        services.check_record(session=session, **check)
    templates = {}
    for slug, parameters in case["scripts"]:
        if slug not in templates:
            templates[slug] = services.template_create(account=account, slug=slug, **TEMPLATES[slug])
        services.script_generate(session=session, user=user, template=templates[slug], parameters=parameters)
    for fix in case["fixes"]:
        active = services.fix_set(
            session=session,
            user=user,
            title=fix["title"],
            description=fix["description"],
            confidence_pct=fix["confidence_pct"],
        )
        if fix["outcome"] != "proposed":
            services.fix_record_outcome(fix=active, outcome=fix["outcome"], outcome_notes=fix["outcome_notes"])
    return session


def assistant_facts(case: dict) -> list[str]:
    return [text for text, source_type in case["facts"] if source_type == "ai"]


def section(markdown: str, heading: str) -> str:
    return markdown.split(f"## {heading}\n\n", 1)[1].split("\n\n## ", 1)[0]


# Offline


@pytest.mark.parametrize("kind", list(DraftKind))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_offline_draft_has_every_line_the_corpus_asks_for_and_none_it_forbids(
    model_off, account_a, bob, case, kind
):
    session = build_session(case, account=account_a, user=bob)

    draft = draft_generate(session_id=session.pk, kind=kind)

    markdown = draft.markdown
    assert draft.drafted_by == OFFLINE
    assert check_format(kind, markdown).ok
    expected = case[kind.value]
    never = CUSTOMER_NOTE_NEVER if kind == DraftKind.RESOLUTION_NOTE else PACKAGE_NEVER
    missing = [line for line in expected["must"] if line not in markdown]
    forbidden = [phrase for phrase in expected["must_not"] if phrase in markdown]
    matched = [pattern for pattern in never if re.search(pattern, markdown)]
    assert (missing, forbidden, matched) == ([], [], []), markdown


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_customer_note_never_shows_what_the_assistant_only_suggested(model_off, account_a, bob, case):
    session = build_session(case, account=account_a, user=bob)

    markdown = draft_generate(session_id=session.pk, kind=DraftKind.RESOLUTION_NOTE).markdown

    assert [text for text in assistant_facts(case) if text.rstrip(".") in markdown] == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_package_keeps_the_intake_lines_lists_each_script_once_and_sets_suggestions_apart(
    model_off, account_a, bob, case
):
    session = build_session(case, account=account_a, user=bob)

    markdown = draft_generate(session_id=session.pk, kind=DraftKind.ESCALATION_PACKAGE).markdown

    lines = markdown.splitlines()
    intake = [line.strip() for line in case["session"]["intake_text"].splitlines() if line.strip()]
    assert [line for line in intake if f"> {line}" not in lines] == []
    for template in {TEMPLATES[slug]["name"] for slug, _parameters in case["scripts"]}:
        assert markdown.count(f'Generated the "{template}" script') == 1
    written = [line for line in lines if line.strip() not in ("", ">")]
    assert sorted({line for line in written if written.count(line) > 1}) == []
    confirmed = section(markdown, "What we've confirmed")
    suggestions = confirmed.split(UNCONFIRMED_HEADING, 1)[1] if assistant_facts(case) else ""
    assert [text for text in assistant_facts(case) if f"- {text}" not in suggestions] == []
    assert [text for text in assistant_facts(case) if text in confirmed.split(UNCONFIRMED_HEADING, 1)[0]] == []


# Through the model: what the SDK sends


def _words(text: str) -> str:
    return " ".join(text.split())


RECEIVED, CUSTOMER_NOTE, PACKAGE = "what the model receives", "Document 1", "Document 2"


def prompt_parts(system: str) -> dict[str, str]:
    """The parts of a system prompt that state the rules, each on one line (a part the prompt lacks is "")."""
    ground_rules, rest = system.partition("# Ground rules")[::2]
    document_1 = rest.partition("# Document 1")[2].partition("# Document 2")[0]
    document_2 = rest.partition("# Document 2")[2].partition("# Worked example 1")[0]
    return {RECEIVED: _words(ground_rules), CUSTOMER_NOTE: _words(document_1), PACKAGE: _words(document_2)}


# Each rule, and the part of the system prompt that must state it in these words.
RULES = {
    "facts carry whether they are confirmed": (RECEIVED, '"confirmed" (true or false)'),
    "facts carry their source in words": (RECEIVED, '"source" in words'),
    "scripts come once per template": (RECEIVED, "one entry per template"),
    "the note is plain language": (CUSTOMER_NOTE, "The customer's note is plain language from start to end."),
    "no commands in the note": (CUSTOMER_NOTE, "It never contains commands or command output"),
    "no scripts in the note": (CUSTOMER_NOTE, "script names, script text or script parameters"),
    "no host names in the note": (CUSTOMER_NOTE, "host names or server names"),
    "no UNC paths in the note": (CUSTOMER_NOTE, "UNC paths"),
    "no IP addresses in the note": (CUSTOMER_NOTE, "IP addresses"),
    "no confidence in the note": (CUSTOMER_NOTE, "or confidence figures"),
    "only confirmed facts in the note": (
        CUSTOMER_NOTE,
        'Only facts with "confirmed": true; never a fact suggested by the assistant.',
    ),
    "the root cause in plain words, or honestly unknown": (
        CUSTOMER_NOTE,
        'say so honestly in one sentence: "We have not determined the root cause yet."',
    ),
    "the outcome notes carried over": (CUSTOMER_NOTE, "When the fix has outcome notes, carry them"),
    "a closing note promises no further work": (
        CUSTOMER_NOTE,
        'Never "we are continuing to investigate" in a note that closes the ticket.',
    ),
    "a closing note makes no promise to confirm or agree later": (
        CUSTOMER_NOTE,
        'No "we will confirm with you", no "before closing this ticket", no "we will agree it with you"',
    ),
    "a pending fix leaves the customer to reply if it is still there": (
        CUSTOMER_NOTE,
        '"If the problem is still there, reply to this ticket and we will pick it up again."',
    ),
    "a proposed fix is not made unless the customer replies": (
        CUSTOMER_NOTE,
        '"We have not made this change yet; reply to this ticket if you would like us to make it."',
    ),
    "the intake's line breaks kept": (PACKAGE, "quoted line by line with its line breaks kept"),
    "sources in words in the package": (PACKAGE, "with its source in words in brackets"),
    "no field values as sources": (PACKAGE, 'never a field value such as "(diagnostic_check)" or "(psa)"'),
    "suggestions listed apart": (PACKAGE, 'the line "Suggested by the assistant, not confirmed yet:"'),
    "each script once": (PACKAGE, "each script template once, however often it was generated"),
    "next steps from the checks": (PACKAGE, "each failed or inconclusive check gets a step that names it"),
    "next steps from the open fix": (PACKAGE, "applied_pending: step 1 is to verify with the user"),
    "a generic step only as a fallback": (PACKAGE, "only when the session gives nothing more specific"),
}


def test_the_system_prompt_the_sdk_sends_states_every_rule(model_on, account_a, bob):
    session = build_session(CASES[0], account=account_a, user=bob)

    for kind in DraftKind:
        draft_generate(session_id=session.pk, kind=kind)

    systems = [request["body"]["system"][0]["text"] for request in model_on.requests]
    assert systems == [SYSTEM_PROMPT] * len(DraftKind)  # one stable, cacheable prefix for every kind
    parts = prompt_parts(systems[0])
    missing = [f"{rule} ({part})" for rule, (part, words) in RULES.items() if words not in parts[part]]
    assert missing == [], f"The system prompt the SDK sent does not state: {'; '.join(missing)}"


def sent_session(request: dict) -> dict:
    text = request["body"]["messages"][0]["content"]
    return json.loads(text.split("<session>\n", 1)[1].rsplit("\n</session>", 1)[0])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_the_model_gets_the_session_with_suggestions_unconfirmed_and_sources_in_words(model_on, account_a, bob, case):
    session = build_session(case, account=account_a, user=bob)

    drafts = [draft_generate(session_id=session.pk, kind=kind) for kind in DraftKind]

    sources_in_words = set(SOURCE_IN_WORDS.values())
    expected_facts = [
        {"text": text, "source": SOURCE_IN_WORDS[source_type], "confirmed": source_type != "ai"}
        for text, source_type in case["facts"]
    ]
    scripts = [TEMPLATES[slug]["name"] for slug, _parameters in case["scripts"]]
    expected_scripts = [(name, scripts.count(name)) for name in dict.fromkeys(scripts)]
    for kind, request, draft in zip(DraftKind, model_on.requests, drafts, strict=True):
        sent = sent_session(request)
        facts = [{key: fact[key] for key in ("text", "source", "confirmed")} for fact in sent["facts"]]
        assert facts == expected_facts
        assert {fact["source"] for fact in sent["facts"]} <= sources_in_words
        assert [(script["template"], script["times_generated"]) for script in sent["scripts"]] == expected_scripts
        assert sent["intake"] == case["session"]["intake_text"]  # line breaks and all
        assert SCRIPT_PASSWORD not in json.dumps(request["body"])
        # The stub's own answer, stored as it came: nothing offline passed off as the model's draft.
        assert (draft.drafted_by, draft.markdown) == ("claude-sonnet-5-5", well_formed_answer(kind.rules.brief))

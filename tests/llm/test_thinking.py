"""Thinking is set explicitly per action (Sonnet 5.x would think adaptively, against max_tokens): off for
both drafts by default, and every choice is one the pinned SDK's Messages parameters accept."""

import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from anthropic.types import ThinkingConfigParam
from django.conf import settings

from llm.actions import actions, known_efforts, thinking_params

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("action", ["resolution_note", "escalation_package"])
def test_it_turns_thinking_off_for_each_draft_by_default(action):
    assert action in actions()
    assert thinking_params(action) == {"thinking": {"type": "disabled"}}


@pytest.mark.parametrize(
    ("choice", "params"),
    [
        ("disabled", {"thinking": {"type": "disabled"}}),
        ("adaptive", {"thinking": {"type": "adaptive"}}),
        ("low", {"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}),
        ("max", {"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}),
    ],
)
def test_each_choice_becomes_its_request_parameters(settings, choice, params):
    settings.FLOWPILOT_DRAFT_THINKING = {**settings.FLOWPILOT_DRAFT_THINKING, "resolution_note": choice}

    assert thinking_params("resolution_note") == params


def test_the_choices_are_what_the_pinned_sdk_accepts():
    configs = typing.get_args(ThinkingConfigParam)
    thinking_types = {typing.get_args(typing.get_type_hints(config)["type"])[0] for config in configs}

    assert {"disabled", "adaptive"} <= thinking_types
    assert known_efforts() == ["low", "medium", "high", "xhigh", "max"]
    assert settings.DRAFT_THINKING_CHOICES == ("disabled", "adaptive", *known_efforts())


def start_up_with(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import flowpilot.settings"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_choice_it_does_not_know_fails_at_start_up():
    result = start_up_with(FLOWPILOT_THINKING_ESCALATION_PACKAGE="lots")

    assert result.returncode != 0
    assert "FLOWPILOT_THINKING_ESCALATION_PACKAGE='lots' is not one of disabled, adaptive, low" in result.stderr


def test_a_retry_limit_no_roomier_than_the_first_fails_at_start_up():
    result = start_up_with(FLOWPILOT_DRAFT_MAX_TOKENS="3000", FLOWPILOT_DRAFT_MAX_TOKENS_RETRY="3000")

    assert result.returncode != 0
    assert "FLOWPILOT_DRAFT_MAX_TOKENS_RETRY must be larger than FLOWPILOT_DRAFT_MAX_TOKENS" in result.stderr

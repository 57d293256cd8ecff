"""Model per action: which Claude model each feature calls, and how much it thinks. The deployment sets a
model per action (`FLOWPILOT_DRAFT_MODELS`, from the environment); an account admin may choose another,
kept in the account's preferences under `<action>_model`. Thinking is the deployment's choice per action
(`FLOWPILOT_DRAFT_THINKING`), always sent explicitly: Sonnet 5.x would otherwise think adaptively, and
thinking counts against max_tokens."""

import re
import typing

from anthropic.types import ModelParam, OutputConfigParam
from django.conf import settings

from accounts.models import Account, AccountSettings
from accounts.services import account_preferences_save
from flowpilot.errors import InvalidInput

MODEL_ID = re.compile(r"claude-[a-z0-9][a-z0-9.-]{2,80}")


def actions() -> list[str]:
    """Every action that calls the model, in the order admin shows them."""
    return list(settings.FLOWPILOT_DRAFT_MODELS)


def preference_key(action: str) -> str:
    return f"{action}_model"


def default_model(action: str) -> str:
    return settings.FLOWPILOT_DRAFT_MODELS[action]


def model_for(action: str, account_settings: AccountSettings | None = None) -> str:
    """The account's model for this action if an admin chose one, else the deployment's default."""
    chosen = account_settings.preferences.get(preference_key(action), "") if account_settings is not None else ""
    return chosen or default_model(action)


def thinking_params(action: str) -> dict:
    """The Messages parameters that set this action's thinking: `thinking`, and `output_config` for an effort."""
    choice = settings.FLOWPILOT_DRAFT_THINKING[action]
    if choice == "disabled":
        return {"thinking": {"type": "disabled"}}
    if choice == "adaptive":
        return {"thinking": {"type": "adaptive"}}
    return {"thinking": {"type": "adaptive"}, "output_config": {"effort": choice}}


def known_efforts() -> list[str]:
    """The effort levels the pinned SDK knows (`output_config.effort`)."""
    effort = typing.get_type_hints(OutputConfigParam)["effort"]  # Optional[Literal[...]]
    return list(typing.get_args(typing.get_args(effort)[0]))


def known_models() -> list[str]:
    """The Claude model ids the pinned SDK knows."""
    return list(typing.get_args(typing.get_args(ModelParam)[0]))


def account_models_update(*, account: Account, changes: dict[str, str | None], actor=None) -> AccountSettings:
    """Choose the model per action for an account (`{action: model id}`; None or "" goes back to the default)."""
    preferences = {}
    for action, model in changes.items():
        key = preference_key(action)
        if action not in actions():
            raise InvalidInput(f"Unknown model action {action!r}.", field=key)
        if model is not None and model != "" and (not isinstance(model, str) or not MODEL_ID.fullmatch(model)):
            raise InvalidInput("A model id looks like claude-sonnet-5-5.", field=key)
        preferences[key] = model or None
    return account_preferences_save(account=account, changes=preferences, actor=actor)

"""Drafts prepared before the click: when a session's state is likely final, the draft for it is generated in
the background, through the preview cache and its lock, so Preview is served from the cache.

Likely final: the active fix is marked as having worked (the resolution note) or as having failed (the
escalation package), or the engineer brings the wrap-up into view once a fix was applied. The rules and the
background draft itself are here; scheduling it (`drafting.services.preview_prepare`, on every committed state
and from the page) is a write of drafting's, beside the tasks it starts.
Debounced: every write schedules a preparation a few seconds later (FLOWPILOT_PREPARE_DELAY_SECONDS) for
the state it made; one that finds the session moved on since does nothing, so a burst of edits prepares
once, after the last. Bounded: one background draft per (kind, state_version) at most, none for a closed
session, none when the account turns it off, none when the draft is cached already or a click is making it
(that click's generation is the one everybody joins).
"""

import logging

from django.conf import settings
from django.core.cache import cache

from accounts.models import Account, AccountSettings
from accounts.services import account_preferences_save
from drafting.kinds import DraftKind
from drafting.previews import PREVIEW_TTL_SECONDS, lock_key, lock_ttl_seconds, preview_generate, preview_key
from sessions.models import Session, SuggestedFix

logger = logging.getLogger(__name__)

PREFERENCE_KEY = "background_drafts_off"  # unset: on (the default)
KIND_WHEN_THE_FIX = {
    SuggestedFix.Outcome.APPLIED_SUCCESS: DraftKind.RESOLUTION_NOTE,
    SuggestedFix.Outcome.APPLIED_FAILED: DraftKind.ESCALATION_PACKAGE,
}


def background_drafts_on(account_settings: AccountSettings | None) -> bool:
    """On unless the deployment (FLOWPILOT_PREPARE_DRAFTS) or the account turned it off."""
    if not settings.FLOWPILOT_PREPARE_DRAFTS:
        return False
    return account_settings is None or not account_settings.preferences.get(PREFERENCE_KEY)


def account_background_drafts_update(*, account: Account, enabled: bool, actor=None) -> AccountSettings:
    return account_preferences_save(account=account, changes={PREFERENCE_KEY: None if enabled else True}, actor=actor)


def likely_final_kind(session: Session) -> DraftKind | None:
    """The draft the session's state points to, or None while the work goes on."""
    fix = SuggestedFix.objects.filter(session=session, superseded_at__isnull=True).only("outcome").first()
    return KIND_WHEN_THE_FIX.get(fix.outcome) if fix else None


APPLIED = {
    SuggestedFix.Outcome.APPLIED_SUCCESS,
    SuggestedFix.Outcome.APPLIED_PARTIAL,
    SuggestedFix.Outcome.APPLIED_PENDING,
    SuggestedFix.Outcome.APPLIED_FAILED,
}


def kind_for_the_wrap_up(session: Session) -> DraftKind | None:
    """What the engineer reaching the wrap-up most likely previews once a fix was applied (the escalation after
    one that failed); None before any was: the wrap-up on screen as the workspace opens says nothing yet, and a
    draft for every opening would be tokens spent for nothing."""
    fix = SuggestedFix.objects.filter(session=session, superseded_at__isnull=True).only("outcome").first()
    if fix is None or fix.outcome not in APPLIED:
        return None
    return KIND_WHEN_THE_FIX.get(fix.outcome, DraftKind.RESOLUTION_NOTE)


def prepared_key(kind: str, session_id, state_version: int) -> str:
    return f"prepared:{kind}:{session_id}:{state_version}"


def preview_prepared_generate(*, session_id, kind: DraftKind, state_version: int):
    """The background draft (the task's body), unless the session moved on, is closed or has it turned off,
    or the draft is cached, prepared once already, or being made for a click right now."""
    session = Session.objects.select_related("account__settings").filter(pk=session_id).first()
    if session is None or not session.is_open or session.state_version != state_version:
        return None
    if not background_drafts_on(getattr(session.account, "settings", None)):
        return None
    if cache.get(preview_key(kind, session_id, state_version)) is not None:
        return None
    if not cache.add(prepared_key(kind, session_id, state_version), True, PREVIEW_TTL_SECONDS):
        return None
    if not cache.add(lock_key(kind, session_id, state_version), "generating", lock_ttl_seconds()):
        return None
    logger.info("Preparing the %s of session %s (state %s) in the background", kind, session_id, state_version)
    return preview_generate(session_id=session_id, kind=kind, requested_version=state_version, background=True)

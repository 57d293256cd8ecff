"""Reads of the session domain, always inside one account."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Account
from accounts.selectors import membership_for
from sessions.models import DiagnosticCheck, Fact, ScriptTemplate, Session, SuggestedFix


def session_list(*, account: Account, user=None, status: str = "", query: str = "") -> QuerySet[Session]:
    """The account's sessions (only `user`'s when given), newest first, with live fact counts."""
    sessions = (
        Session.objects.filter(account=account)
        .select_related("created_by")
        .annotate(fact_count=Count("facts", filter=Q(facts__deleted_at__isnull=True)))
        .order_by("-created_at", "pk")
    )
    if user is not None:
        sessions = sessions.filter(created_by=user)
    if status == "open":
        sessions = sessions.filter(status=Session.Status.OPEN)
    elif status == "closed":
        sessions = sessions.exclude(status=Session.Status.OPEN)
    elif status:
        sessions = sessions.filter(status=status)
    query = query.strip()
    if "\x00" in query:  # no title holds one (input refuses it), and PostgreSQL refuses it in a query
        return sessions.none()
    if query:
        matches = Q(title__icontains=query)
        if query.lstrip("#").isdecimal():  # not isdigit(): "²" is a digit int() refuses
            matches |= Q(psa_ticket_id=int(query.lstrip("#")))
        sessions = sessions.filter(matches)
    return sessions


def open_sessions_on_ticket(*, account: Account, ticket_id: int) -> QuerySet[Session]:
    return Session.objects.filter(account=account, psa_ticket_id=ticket_id, status=Session.Status.OPEN).select_related(
        "created_by"
    )


def active_fix(session: Session) -> SuggestedFix | None:
    """The session's current working hypothesis (at most one: a database constraint)."""
    return SuggestedFix.objects.filter(session=session, superseded_at__isnull=True).first()


def session_contents() -> list:
    """Prefetches of what a session holds: live facts and checks only (`live_facts`, `live_checks`), script
    generations."""
    return [
        Prefetch("facts", queryset=Fact.objects.live(), to_attr="live_facts"),
        Prefetch("checks", queryset=DiagnosticCheck.objects.live(), to_attr="live_checks"),
        "script_generations",
    ]


def session_detail_queryset(*, account: Account) -> QuerySet[Session]:
    """Sessions with everything a workspace reads, in a constant number of queries."""
    return Session.objects.filter(account=account).prefetch_related(
        *session_contents(),
        Prefetch("fixes", queryset=SuggestedFix.objects.filter(superseded_at__isnull=True), to_attr="active_fixes"),
        Prefetch("fixes", queryset=SuggestedFix.objects.filter(superseded_at__isnull=False), to_attr="earlier_fixes"),
    )


def session_for_user(user, session_id, *, detail: bool = False) -> Session:
    """The session if it belongs to the user's account, else Http404: another account's ids don't exist.

    The account comes from the membership's id, so the plain lookup costs one query (the hot path of a
    cached preview); `detail` adds everything a workspace or the detail API reads.
    """
    membership = membership_for(user)
    if membership is None:
        raise Http404("No such session.")
    if detail:
        sessions = session_detail_queryset(account=membership.account).select_related("account", "created_by")
    else:
        sessions = Session.objects.filter(account_id=membership.account_id)
    return get_object_or_404(sessions, pk=session_id)


def template_list(*, account: Account) -> QuerySet[ScriptTemplate]:
    return ScriptTemplate.objects.filter(account=account)


def template_by_slug(*, account: Account, slug: str | None) -> ScriptTemplate | None:
    return ScriptTemplate.objects.filter(account=account, slug=slug).first() if slug else None

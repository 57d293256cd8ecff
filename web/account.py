"""The account pages: People (an admin adds, changes and deactivates members), Audit (who changed what), and
the invite page a new member sets their password on. An engineer gets a 403 page; another account's member
is 404. Each People write answers an HTMX request with the `people` region, a plain POST with a redirect (or
the page itself when it shows an invite link, which exists only in that response), or the page with errors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.selectors import (
    audit_events,
    has_pending_invite,
    member_mfa_enabled,
    member_of,
    members_of,
    membership_for,
)
from flowpilot.errors import DomainError
from flowpilot.web import add_domain_error, fragment, int_or, render_page
from web.account_forms import InviteAcceptForm, MemberAddForm, MemberUpdateForm
from web.signin import sign_in_continue

PEOPLE = "accounts/people.html"
AUDIT = "accounts/audit.html"
INVITE = "accounts/invite.html"
ADMINS_ONLY = "accounts/admins_only.html"
AUDIT_PAGE_SIZE = 50
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class AdminsOnly(Exception):
    pass


def _admin_membership(request):
    """The signed-in admin's membership; AdminsOnly for anyone else."""
    membership = membership_for(request.user)
    if membership is None or not membership.is_admin:
        raise AdminsOnly
    return membership


def admins_only(view):
    """An engineer (or a user outside every account) gets a page saying who can do this, with 403."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except AdminsOnly:
            return render(request, ADMINS_ONLY, {}, status=403)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def people_context(request, account, **overrides) -> dict:
    rows = [
        {
            "membership": membership,
            "user": membership.user,
            "mfa_enabled": member_mfa_enabled(membership),
            "invited": has_pending_invite(membership.user),
            "form": MemberUpdateForm(auto_id=f"member{membership.user_id}_%s"),
        }
        for membership in members_of(account).prefetch_related("user__invites")
    ]
    return {"account": account, "rows": rows, "add_form": MemberAddForm(), "invite_url": None, **overrides}


def _people_answer(request, account, *, changed: bool, status: int | None = None, **overrides):
    """The `people` region for HTMX; a redirect after a plain POST that changed something (unless it shows an
    invite link, which a redirect would lose); the whole page otherwise, with the errors (400, or the rule's
    own status: 409 for the last admin)."""
    if changed and not request.htmx and not overrides.get("invite_url"):
        return redirect("people")
    context = people_context(request, account, **overrides)
    if request.htmx:
        return fragment(request, f"{PEOPLE}#people", context)
    return render(request, PEOPLE, context, status=status or (200 if changed else 400))


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
@admins_only
def people(request):
    """The account's people; POST adds one, with a password or an invite link shown once."""
    account = _admin_membership(request).account
    if request.method == "GET":
        return render_page(request, PEOPLE, people_context(request, account), partial="people")
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _people_answer(request, account, changed=False, add_form=form)
    try:
        added = services.member_add(account=account, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _people_answer(request, account, changed=False, add_form=form)
    username = added.membership.user.username
    if added.invite_token is None:
        messages.success(request, f"{username} was added: they can sign in now.")
        return _people_answer(request, account, changed=True)
    invite = {"username": username, "url": _invite_url(request, added.invite_token)}
    return _people_answer(request, account, changed=True, status=201, invite_url=invite)


def _invite_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("invite-accept", args=[token]))


def _member(request, user_id):
    """A member of the caller's account (404 for anyone else's), once the caller is known to be its admin."""
    own = membership_for(request.user)
    membership = member_of(own.account, user_id) if own else None
    if membership is None:
        raise Http404("No such member in your account.")
    _admin_membership(request)
    return membership


@login_required
@require_POST
@admins_only
def person_update(request, user_id):
    """Change a member's role, or deactivate or reactivate them (409 `last_admin` shown as the error)."""
    membership = _member(request, user_id)
    form = MemberUpdateForm(request.POST)
    if not form.is_valid():
        error = " ".join(form.non_field_errors()) or "Choose one of the roles offered."
        return _people_answer(request, membership.account, changed=False, error=error)
    try:
        updated = services.member_update(membership=membership, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _people_answer(request, membership.account, changed=False, status=exc.status, error=exc.message)
    messages.success(request, _update_words(updated, form.cleaned_data))
    return _people_answer(request, membership.account, changed=True)


def _update_words(membership, changes: dict) -> str:
    username = membership.user.username
    if changes.get("is_active") is False:
        return f"{username} was deactivated: their sign-ins and API tokens have ended."
    if changes.get("is_active") is True:
        return f"{username} was reactivated."
    return f"{username} is now {membership.get_role_display().lower()}."


@login_required
@require_POST
@admins_only
def person_invite(request, user_id):
    """A fresh invite link for a member who has not set a password yet (the older link stops working)."""
    membership = _member(request, user_id)
    try:
        token = services.member_invite_renew(membership=membership, actor=request.user)
    except DomainError as exc:
        return _people_answer(request, membership.account, changed=False, status=exc.status, error=exc.message)
    invite = {"username": membership.user.username, "url": _invite_url(request, token)}
    return _people_answer(request, membership.account, changed=True, invite_url=invite)


@login_required
@require_GET
@admins_only
def audit(request):
    """The account's audit trail, newest first, 50 to a page."""
    account = _admin_membership(request).account
    page = Paginator(audit_events(account), AUDIT_PAGE_SIZE).get_page(int_or(request.GET.get("page"), 1))
    return render_page(request, AUDIT, {"account": account, "page": page}, partial="events")


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password", "password_again")
def invite_accept(request, token):
    """A new member sets their password with the link an admin gave them, and is signed in (and sets up a second
    factor first where the account requires one: `sign_in_continue`). A link that cannot
    be used (unknown, expired, used, replaced, or its member deactivated) gets the same page whatever the case."""
    invite = services.invite_for_token(token)
    if invite is None:
        return render(request, INVITE, {"invite": None}, status=404)
    form = InviteAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invite_accept(token=token, password=form.cleaned_data["password"])
        except services.InviteUnusable:
            return render(request, INVITE, {"invite": None}, status=404)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Welcome to FlowPilot, {user.username}: your password is set.")
            return sign_in_continue(request, user, backend=SIGN_IN_BACKEND)  # where MFA is required, enrolment next
    status = 400 if form.errors else 200
    return render(request, INVITE, {"invite": invite, "form": form}, status=status)

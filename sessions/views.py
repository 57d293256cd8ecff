from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.selectors import account_for
from sessions import selectors

STATUS_FILTERS = {"open": "Open", "closed": "Closed", "": "All"}


@login_required
def home(request):
    """The signed-in engineer's sessions: mine or the whole account's, open or closed, searchable."""
    account = account_for(request.user)
    scope = "all" if request.GET.get("scope") == "all" else "mine"
    status = request.GET.get("status", "open")
    status = status if status in STATUS_FILTERS else "open"
    query = request.GET.get("q", "")[:200]
    sessions = []
    if account is not None:
        sessions = selectors.session_list(
            account=account,
            user=request.user if scope == "mine" else None,
            status=status,
            query=query,
        )[:100]
    return render(
        request,
        "sessions/home.html",
        {
            "account": account,
            "sessions": sessions,
            "scope": scope,
            "status": status,
            "status_filters": STATUS_FILTERS,
            "query": query,
        },
    )

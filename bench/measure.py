"""The measurements, each against the running stack over real HTTP, and the table they make."""

import json
import math
import os
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from django.core.cache import cache
from django.urls import Resolver404, resolve, reverse
from rest_framework.authtoken.models import Token

from accounts.services import account_create, account_settings_update
from bench import stack
from bench.middleware import HEADER as QUERIES
from bench.psas import PSAS, BenchPsa
from bench.stats import Spread, paired_ratios
from drafting.kinds import DraftKind
from drafting.models import Draft
from drafting.previews import preview_key
from handoff.models import Handoff
from psa.services import psa_connection_save
from sessions import services
from sessions.models import Fact, Session, SuggestedFix

PASSWORD = "bench-password-not-secret"
NOTE = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."
CONCURRENT_PREVIEWS = 20
POSTING_CLIENTS = 8
PREVIEW_ROUNDS = 5
LATENCY_MS = 50
FIRST_BENCH_TICKET = 300_000  # far above the simulator's own tickets
TRANSIENT_RATE = 0.1
WORKERS_PER_CORE = (1, 2, 4)
THREADS_PER_WORKER = 4
SWEEP_SECONDS = 3.0
SWEEP_ROUNDS = 3
WARM_UP_SECONDS = 2.0
SWEEP_CLIENTS = 16
ASSISTANT_TURNS = 30  # sends timed to the first streamed word
FIRST_TOKEN_DELAY_SECONDS = 0.4  # the stub's, subtracted: what is left is FlowPilot's
CONVERSATION_TURNS = 5
CONCURRENT_SENDS = 20
PREPARED_CLICKS_PER_ROUND = 6  # Preview clicks on drafts prepared in the background, in each round
UNPREPARED_CLICKS = 5
MODEL_DELAY_SECONDS = 1.5  # the stub's wait before a draft nobody prepared: a model's time, roughly
DRAFT_STREAMS = 10
CONFIRM_CLICKS = 15
FIRST_CONFIRM_TICKET = 8_000_000  # above the handoff runs' tickets
PAGE_POLL_SECONDS = 1.0  # the hx-trigger of the handoff card ("every 1s"), its fallback when no push comes
SCRIPTED_FACTS = 8  # with the fix set and then marked worked: ten edits
STREAM_OPEN_SECONDS = 2.0  # how long a stream opened with its Preview may answer 404 (its draft not started yet)
HANDOFF_ID = re.compile(r'data-handoff="([0-9a-f-]{36})"')
HANDOFF_EVENTS = re.compile(r'data-handoff-events="([^"]+)"')  # the card's push, where the page has one
SUCCESS_TOAST = 'class="toast toast-success"'


@dataclass
class Row:
    measure: str
    result: str
    target: str = ""
    met: bool | None = None


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, measure: str, result: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(Row(measure, result, target, met))

    def __str__(self) -> str:
        lines = ["| Measure | Median (interquartile range) | Target | Met |", "|---|---|---|---|"]
        for row in self.rows:
            met = "" if row.met is None else ("yes" if row.met else "**NO**")
            lines.append(f"| {row.measure} | {row.result} | {row.target} | {met} |")
        return "\n".join(lines)


@dataclass
class Poster:
    """An account connected to one PSA's simulator, and the token its engineer posts handoffs with."""

    psa: BenchPsa
    url: str  # the simulator's
    account: object
    user: object
    token: str


class Bench:
    def __init__(self, *, env, log_dir, claude, simulator_urls, run_id, options):
        self.env, self.log_dir, self.claude, self.options = env, log_dir, claude, options
        self.simulator_urls = simulator_urls  # PSA → its simulator's URL
        self.run_id = run_id
        self.servers: list[stack.Process] = []
        self.base = ""
        self.table = Table()
        self.cores = os.cpu_count() or 1

    # The stack

    def start_server(self, *, workers: int, threads: int = THREADS_PER_WORKER) -> str:
        """Start gunicorn; its base URL. The first one started is where `url()` points."""
        port = stack.free_port()
        self.servers.append(stack.gunicorn(self.env, self.log_dir, port=port, workers=workers, threads=threads))
        base = f"http://127.0.0.1:{port}"
        self.base = self.base or base
        # The first worker answering does not mean all have booted: keep as many clients as the server has
        # threads busy for a while, so no measurement shares the machine with workers still importing Django.
        run_load(Load([("GET", base + reverse("bench-ping"))], self.token, workers * threads, WARM_UP_SECONDS, 0))
        return base

    def stop_server(self) -> None:
        while self.servers:
            self.servers.pop().stop()
        self.base = ""

    def url(self, name: str, *args) -> str:
        return self.base + reverse(name, args=args)

    def simulator(self, psa: BenchPsa, method: str, action: str, body: dict | None = None) -> dict:
        url = f"{self.simulator_urls[psa.key]}/__simulator/{action}"
        response = requests.request(method, url, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    # Seeding: a fresh account per run, so runs never see each other's data

    def seed(self) -> None:
        account = account_create(
            name=f"Bench {self.run_id}", admin_username=f"bench-{self.run_id}", admin_password=PASSWORD
        )
        self.user = account.memberships.get().user
        self.account = account
        self.token = Token.objects.create(user=self.user).key
        self.connect(account, PSAS["connectwise"])
        self.small = self.session_with_facts(5)
        self.large = self.session_with_facts(500)
        self.preview_session = self.session_with_facts(5)
        self.burst_session = self.session_with_facts(5)
        self.posters = [self.poster(PSAS[key]) for key in self.options.providers]

    def connect(self, account, psa: BenchPsa) -> None:
        url = self.simulator_urls[psa.key]
        psa_connection_save(account=account, **{**psa.connection_fields(url), "provider": psa.key})
        account_settings_update(account=account, changes={"resolved_status_id": psa.resolved_status_id})

    def poster(self, psa: BenchPsa) -> Poster:
        """An account of its own per PSA (a connection is per account), its engineer posting through the API."""
        account = account_create(
            name=f"Bench {self.run_id} {psa.name}",
            admin_username=f"bench-{self.run_id}-{psa.key}",
            admin_password=PASSWORD,
        )
        self.connect(account, psa)
        user = account.memberships.get().user
        token = Token.objects.create(user=user).key
        return Poster(psa=psa, url=self.simulator_urls[psa.key], account=account, user=user, token=token)

    def session_with_facts(self, count: int) -> Session:
        session = services.session_create(account=self.account, user=self.user, title=f"Bench session, {count} facts")
        Fact.objects.bulk_create(
            Fact(session=session, created_by=self.user, text=f"Confirmed fact number {n}: the mapped drive is slow.")
            for n in range(count)
        )
        services.fix_set(session=session, user=self.user, title="Re-map the drive", confidence_pct=70)
        return Session.objects.get(pk=session.pk)

    def api_client(self, token: str | None = None) -> requests.Session:
        client = requests.Session()
        client.headers["Authorization"] = f"Token {token or self.token}"
        return client

    def web_client(self) -> requests.Session:
        client = requests.Session()
        client.get(self.url("login"), timeout=10).raise_for_status()
        signed_in = client.post(
            self.url("login"),
            data={
                "username": self.user.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            timeout=10,
            allow_redirects=False,
        )
        if signed_in.status_code != 302:
            raise RuntimeError(f"Could not sign in to the web UI: {signed_in.status_code}")
        return client

    # The run

    def run(self) -> str:
        self.seed()
        measures = self.options.measures
        if {"latency", "previews", "handoffs", "assistant", "wrapup"} & set(measures):
            self.start_server(workers=2 * self.cores)
        if "latency" in measures:
            self.latency_and_queries()
        if "previews" in measures:
            self.concurrent_previews()
        if "handoffs" in measures:
            self.handoffs()
        if "assistant" in measures:
            self.assistant()
        if "wrapup" in measures:
            self.wrapup()
        if "sweep" in measures:
            self.worker_sweep()
        return str(self.table)

    def latency_and_queries(self) -> None:
        api, web = self.api_client(), self.web_client()
        preview_url = self.url("api-resolution-preview", self.preview_session.pk)
        wait_for_draft(api, preview_url)  # drafted once by the worker; every request below is a cache hit
        requests_by_name = {
            "ping": lambda: api.get(self.url("bench-ping"), timeout=30),
            "preview": lambda: api.post(preview_url, json={}, timeout=30),
            "api5": lambda: api.get(self.url("api-session", self.small.pk), timeout=30),
            "api500": lambda: api.get(self.url("api-session", self.large.pk), timeout=30),
            "page5": lambda: web.get(self.url("workspace", self.small.pk), timeout=30),
            "page500": lambda: web.get(self.url("workspace", self.large.pk), timeout=30),
        }
        for send in requests_by_name.values():  # warm-up: connections, templates, the ORM's caches
            for _ in range(5):
                expect_ok(send())
        seconds = {name: [] for name in requests_by_name}
        queries = {name: [] for name in requests_by_name}
        size = {}
        names = list(requests_by_name)
        for turn in range(self.options.rounds * self.options.per_round):
            # Interleaved, so drift hits every endpoint alike, and rotated, so none always follows the same one.
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                started = time.perf_counter()
                response = requests_by_name[name]()
                seconds[name].append(time.perf_counter() - started)
                expect_ok(response)
                queries[name].append(int(response.headers[QUERIES]))
                size[name] = len(response.content)
                if name == "preview" and not response.json().get("from_cache"):
                    raise RuntimeError("The preview was not answered from the cache")
        ms = {name: Spread.of([s * 1000 for s in samples]) for name, samples in seconds.items()}
        ratio = Spread.of(paired_ratios(seconds["preview"], seconds["ping"], rounds=self.options.rounds))
        preview_queries = Spread.of(queries["preview"])
        t = self.table
        t.add("Trivial authenticated DRF endpoint (baseline)", ms["ping"].show(" ms", 2))
        t.add("Cached preview (POST …/resolution-note/preview)", ms["preview"].show(" ms", 2))
        t.add("Cached preview ÷ baseline", ratio.show("×", 2), "≤ 1.5×", ratio.median <= 1.5)
        t.add(
            "SQL queries per cached preview (every request)",
            f"{preview_queries.show('', 0)}; at most {max(queries['preview'])}",
            "≤ 3",
            max(queries["preview"]) <= 3,
        )

        def against_baseline(name: str) -> str:
            return Spread.of(paired_ratios(seconds[name], seconds["ping"], rounds=self.options.rounds)).show("×")

        for label, small, large in (("Session API", "api5", "api500"), ("Workspace page", "page5", "page500")):
            q5, q500 = Spread.of(queries[small]), Spread.of(queries[large])
            for facts, name, spread in ((5, small, q5), (500, large, q500)):
                t.add(
                    f"{label}, {facts} facts",
                    f"{ms[name].show(' ms')} = {against_baseline(name)} baseline; {spread.show(' queries', 0)}; "
                    f"{size[name] / 1024:.0f} KiB",
                    "queries as at 5 facts" if facts == 500 else "",
                    len(set(queries[small]) | set(queries[large])) == 1 if facts == 500 else None,
                )

    def concurrent_previews(self) -> None:
        calls, answers, burst = [], Counter(), []
        url = self.url("api-resolution-preview", self.burst_session.pk)
        clients = [self.api_client() for _ in range(CONCURRENT_PREVIEWS)]
        for round_number in range(PREVIEW_ROUNDS):
            services.fact_add(session=self.burst_session, user=self.user, text=f"New fact, round {round_number}")
            before = self.claude.call_count
            barrier = threading.Barrier(CONCURRENT_PREVIEWS)

            def ask(client, barrier=barrier):
                barrier.wait()
                began = time.perf_counter()
                response = client.post(url, json={}, timeout=60)
                return response.status_code, time.perf_counter() - began

            with ThreadPoolExecutor(CONCURRENT_PREVIEWS) as pool:
                results = list(pool.map(ask, clients))
            wait_for_draft(clients[0], url)
            answers.update(status for status, _ in results)
            burst.append(max(elapsed for _, elapsed in results) * 1000)
            calls.append(self.claude.call_count - before)
        shown = ", ".join(f"{count}× {status}" for status, count in sorted(answers.items()))
        self.table.add(
            f"Model calls for {CONCURRENT_PREVIEWS} concurrent identical previews, in each of {PREVIEW_ROUNDS} rounds",
            f"{', '.join(map(str, calls))} (answers: {shown}; a round's slowest answer "
            f"{Spread.of(burst).show(' ms', 0)})",
            "1",
            set(calls) == {1},
        )

    def assistant(self) -> None:
        """The assistant on gunicorn with a worker: send → first streamed word, the prompt-cache share of turns
        2–5, the workspace's queries with 2 and 200 messages, and 20 concurrent sends to one session."""
        self.claude.first_token_delay_seconds = FIRST_TOKEN_DELAY_SECONDS
        self.claude.tokens_per_second = 400
        try:
            self.first_streamed_word()
            self.conversation_cache_share()
        finally:
            self.claude.first_token_delay_seconds = 0.0
            self.claude.tokens_per_second = None
        self.workspace_queries_by_messages()
        self.concurrent_sends()

    def send(self, client: requests.Session, session: Session, text: str) -> requests.Response:
        return client.post(self.url("api-messages", session.pk), json={"text": text}, timeout=30)

    def stream_reply(self, client: requests.Session, session: Session, reply_id: str) -> tuple[float | None, str]:
        return read_stream(client, self.url("api-message-stream", session.pk, reply_id))

    def first_streamed_word(self) -> None:
        client = self.api_client()
        after_send, after_token = [], []
        for turn in range(ASSISTANT_TURNS):
            session = services.session_create(account=self.account, user=self.user, title=f"Assistant turn {turn}")
            calls_before = len(self.claude.requests)
            sent = time.monotonic()
            response = self.send(client, session, "Outlook asks for the password again and again.")
            expect_ok(response, 202)
            first, final = self.stream_reply(client, session, response.json()["reply"]["id"])
            if first is None or final != "done":
                raise RuntimeError(f"The assistant's reply did not stream: it ended with {final or 'nothing'}")
            first_token = self.claude.requests[calls_before]["first_delta_at"]
            after_send.append((first - sent - FIRST_TOKEN_DELAY_SECONDS) * 1000)
            after_token.append((first - first_token) * 1000)
        p95 = sorted(after_token)[math.ceil(0.95 * len(after_token)) - 1]
        self.table.add(
            f"Assistant: send → first streamed word, minus the model's {FIRST_TOKEN_DELAY_SECONDS * 1000:.0f} ms "
            f"first-token delay ({ASSISTANT_TURNS} turns, each through the worker and Redis)",
            Spread.of(after_send).show(" ms", 0),
        )
        self.table.add(
            "… the model's first token → the first word in the browser",
            f"{Spread.of(after_token).show(' ms', 0)}; p95 {p95:.0f} ms",
            "≤ 300 ms (p95)",
            p95 <= 300,
        )

    def conversation_cache_share(self) -> None:
        client = self.api_client()
        session = services.session_create(account=self.account, user=self.user, title="Assistant conversation")
        shares, prefix = [], 0
        for turn in range(CONVERSATION_TURNS):
            response = self.send(client, session, f"Turn {turn + 1}: here is more output from the user's PC.")
            expect_ok(response, 202)
            reply_id = response.json()["reply"]["id"]
            self.stream_reply(client, session, reply_id)
            usage = client.get(self.url("api-message", session.pk, reply_id), timeout=30).json()["usage"]
            prefix = usage["input_tokens"] + usage["cache_creation_input_tokens"] + usage["cache_read_input_tokens"]
            if turn:
                shares.append(usage["cache_read_share"])
        self.table.add(
            f"Assistant: prompt-cache read share of input tokens, turns 2–{CONVERSATION_TURNS} (as the stub reports "
            f"them; turn {CONVERSATION_TURNS}'s prompt {prefix} tokens)",
            ", ".join(f"{share:.0%}" for share in shares),
            "≥ 80% each",
            min(shares) >= 0.8,
        )

    def workspace_queries_by_messages(self) -> None:
        from assistant.models import Message

        web = self.web_client()
        counts = {}
        for size in (2, 200):
            session = services.session_create(account=self.account, user=self.user, title=f"{size} messages")
            Message.objects.bulk_create(
                Message(
                    session=session,
                    seq=n + 1,
                    role=Message.Role.ENGINEER if n % 2 == 0 else Message.Role.ASSISTANT,
                    text=f"Message {n + 1}: the mapped drive is slow.",
                )
                for n in range(size)
            )
            response = web.get(self.url("workspace", session.pk), timeout=30)
            expect_ok(response)
            counts[size] = int(response.headers[QUERIES])
        self.table.add(
            "Assistant: workspace page queries with 2 and 200 messages",
            f"{counts[2]} and {counts[200]}",
            "the same",
            counts[2] == counts[200],
        )

    def concurrent_sends(self) -> None:
        session = services.session_create(account=self.account, user=self.user, title="Concurrent sends")
        self.claude.first_token_delay_seconds = 1.0  # the winner's reply is still being written while the rest ask
        try:
            clients = [self.api_client() for _ in range(CONCURRENT_SENDS)]
            barrier = threading.Barrier(CONCURRENT_SENDS)

            def send(client):
                barrier.wait()
                return self.send(client, session, "The same question, twenty times at once.").status_code

            with ThreadPoolExecutor(CONCURRENT_SENDS) as pool:
                statuses = Counter(pool.map(send, clients))
        finally:
            self.claude.first_token_delay_seconds = 0.0
        self.table.add(
            f"Assistant: {CONCURRENT_SENDS} concurrent sends to one session",
            ", ".join(f"{count}× {status}" for status, count in sorted(statuses.items())),
            "1× 202, 19× 409",
            statuses == Counter({202: 1, 409: CONCURRENT_SENDS - 1}),
        )

    # The wrap-up (issue 16)

    def wrapup(self) -> None:
        """The wrap-up on gunicorn with a worker: Preview with the draft prepared in the background and without,
        the first streamed draft text, Confirm → verified toast against its floor, and the model calls of a
        scripted session."""
        self.prepared_preview_click()
        self.unprepared_preview_click()
        self.first_streamed_draft_text()
        self.confirm_to_toast()
        self.scripted_session_model_calls()

    def htmx(self, client: requests.Session, method: str, url: str, data: dict | None = None) -> requests.Response:
        """A request as htmx sends it from the page: HX-Request, and the CSRF token `<body>` puts in hx-headers."""
        headers = {"HX-Request": "true", "X-CSRFToken": client.cookies["csrftoken"]}
        return client.request(method, url, data=data, headers=headers, timeout=60)

    def click_preview(self, web: requests.Session, session: Session) -> requests.Response:
        return self.htmx(web, "POST", self.url("preview", session.pk, DraftKind.RESOLUTION_NOTE))

    def mark_fix_worked(self, api: requests.Session, session: Session) -> None:
        fix = SuggestedFix.objects.get(session=session, superseded_at__isnull=True)
        response = api.patch(self.url("api-fix", session.pk, fix.pk), json={"outcome": "applied_success"}, timeout=30)
        expect_ok(response)

    def wait_for_prepared(self, api: requests.Session, session: Session) -> dict:
        """Ask GET preview until it answers the draft of the session's current state; the cached payload, which
        says whether the draft was prepared in the background (the API's answer does not)."""
        url = self.url("api-resolution-preview", session.pk)

        def current_draft_ready() -> bool:
            response = api.get(url, timeout=30)
            if response.status_code in (202, 404):  # drafting, or not started yet (the preparation's delay)
                return False
            expect_ok(response)
            answer = response.json()
            return answer["state_version"] == answer["current_state_version"]

        wait_until(current_draft_ready, timeout=60, what=f"the prepared draft of “{session.title}”")
        session.refresh_from_db()
        payload = cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session.pk, session.state_version))
        if not payload or not payload.get("prepared_in_background"):
            raise RuntimeError(f"The draft of “{session.title}” was not prepared in the background")
        return payload

    def prepared_preview_click(self) -> None:
        """The Preview button (the page's POST, as htmx sends it) on drafts prepared in the background after the fix
        was marked worked, against the cached preview API, one after the other in the same rounds."""
        api, web = self.api_client(), self.web_client()
        rounds = self.options.rounds
        sessions = [self.session_with_facts(5) for _ in range(rounds * PREPARED_CLICKS_PER_ROUND)]
        for session in sessions:
            self.mark_fix_worked(api, session)
        for session in sessions:
            self.wait_for_prepared(api, session)
        cached_url = self.url("api-resolution-preview", self.preview_session.pk)
        wait_for_draft(api, cached_url)
        for _ in range(5):  # warm-up: connections, templates
            expect_ok(api.post(cached_url, json={}, timeout=30))
            panel_state(self.click_preview(web, self.preview_session))
        clicks, cached, repeats, click_queries = [], [], [], []
        for turn, session in enumerate(sessions):  # consecutive slices of PREPARED_CLICKS_PER_ROUND make the rounds

            def click(session=session):
                began = time.perf_counter()
                response = self.click_preview(web, session)
                clicks.append(time.perf_counter() - began)
                click_queries.append(int(response.headers[QUERIES]))
                if panel_state(response) != "shown" or 'id="prepared"' not in response.text:
                    raise RuntimeError(f"“{session.title}”: Preview did not show a draft prepared in the background")

            def cached_preview():
                began = time.perf_counter()
                response = api.post(cached_url, json={}, timeout=30)
                cached.append(time.perf_counter() - began)
                expect_ok(response)
                if not response.json().get("from_cache"):
                    raise RuntimeError("The preview was not answered from the cache")

            def repeat_click():  # the same button on a session previewed before: the page's own cached preview
                began = time.perf_counter()
                response = self.click_preview(web, self.preview_session)
                repeats.append(time.perf_counter() - began)
                if panel_state(response) != "shown":
                    raise RuntimeError("The repeated Preview did not show the cached draft")

            order = (click, repeat_click, cached_preview)
            for send in order[turn % 3 :] + order[: turn % 3]:
                send()
        ratio = Spread.of(paired_ratios(clicks, repeats, rounds=rounds))
        api_ratio = Spread.of(paired_ratios(clicks, cached, rounds=rounds))
        self.table.add(
            f"Wrap-up: Preview click → panel rendered (the page's POST) on a draft prepared in the background, ÷ the "
            f"same click on a draft cached by an earlier Preview ({len(clicks)} clicks in {rounds} rounds)",
            f"{ratio.show('×', 2)}; click {Spread.of([s * 1000 for s in clicks]).show(' ms', 2)}, repeated click "
            f"{Spread.of([s * 1000 for s in repeats]).show(' ms', 2)}; "
            f"{Spread.of(click_queries).show(' queries', 0)} per click",
            "≤ 1.2×",
            ratio.median <= 1.2,
        )
        self.table.add(
            "… the click ÷ the cached preview API call (the page renders the whole panel; the API answers JSON)",
            f"{api_ratio.show('×', 2)}; cached API {Spread.of([s * 1000 for s in cached]).show(' ms', 2)}",
        )

    def unprepared_preview_click(self) -> None:
        """The same click on a session nobody prepared (its fix not marked), the stub as slow as a model: the page
        answers at once with the panel drafting, follows the draft's stream as the browser does, and asks for the
        finished panel when it says done."""
        web = self.web_client()
        seconds = []
        self.claude.delay_seconds = MODEL_DELAY_SECONDS
        try:
            for _ in range(UNPREPARED_CLICKS):
                session = self.session_with_facts(5)
                panel_url = self.url("preview", session.pk, DraftKind.RESOLUTION_NOTE)
                began = time.perf_counter()
                response = self.click_preview(web, session)
                stream_url = self.url("api-resolution-preview-stream", session.pk)
                while panel_state(response) == "pending":
                    if time.perf_counter() - began > 60:
                        raise RuntimeError(f"The draft of “{session.title}” was not shown within 60 s")
                    read_stream(web, stream_url)
                    response = self.htmx(web, "GET", panel_url)
                seconds.append(time.perf_counter() - began)
        finally:
            self.claude.delay_seconds = 0.0
        ms = Spread.of([s * 1000 for s in seconds])
        beyond = Spread.of([s * 1000 - MODEL_DELAY_SECONDS * 1000 for s in seconds])
        self.table.add(
            f"… the same click with nothing prepared, the model taking {MODEL_DELAY_SECONDS:.1f} s "
            f"({UNPREPARED_CLICKS} clicks)",
            f"{ms.show(' ms', 0)}: the model's {MODEL_DELAY_SECONDS * 1000:.0f} ms, then {beyond.show(' ms', 0)}",
        )

    def first_streamed_draft_text(self) -> None:
        """Preview through the API, the draft's stream opened at once as the panel opens it: the first text to
        arrive, minus the model's first-token delay. Skipped until the stream exists."""
        label = (
            f"Wrap-up: Preview → first streamed draft text, minus the model's {FIRST_TOKEN_DELAY_SECONDS * 1000:.0f} "
            f"ms first-token delay ({DRAFT_STREAMS} drafts)"
        )
        if not url_is_built(f"/api/ai-sessions/{uuid.uuid4()}/resolution-note/preview/stream"):
            print("Wrap-up: streamed drafts not measured: not built (GET …/resolution-note/preview/stream answers 404)")
            self.table.add(label, "skipped: not built (…/resolution-note/preview/stream answers 404)", "≤ 300 ms")
            return
        api, stream_client = self.api_client(), self.api_client()
        after_preview, after_token = [], []
        self.claude.first_token_delay_seconds = FIRST_TOKEN_DELAY_SECONDS
        self.claude.tokens_per_second = 400
        try:
            for _ in range(DRAFT_STREAMS):
                session = self.session_with_facts(5)
                preview_url = self.url("api-resolution-preview", session.pk)
                calls_before = self.claude.call_count
                with ThreadPoolExecutor(1) as pool:
                    sent = time.monotonic()
                    preview = pool.submit(api.post, preview_url, json={}, timeout=60)
                    first, final = read_stream(stream_client, f"{preview_url}/stream", open_within=STREAM_OPEN_SECONDS)
                    if preview.result().status_code not in (200, 202):
                        expect_ok(preview.result())
                if first is None or final != "done":
                    raise RuntimeError(f"The draft did not stream: it ended with {final or 'nothing'}")
                first_token = self.claude.requests[calls_before]["first_delta_at"]
                after_preview.append((first - sent - FIRST_TOKEN_DELAY_SECONDS) * 1000)
                after_token.append((first - first_token) * 1000)
        finally:
            self.claude.first_token_delay_seconds = 0.0
            self.claude.tokens_per_second = None
        shown = Spread.of(after_preview)
        self.table.add(
            label,
            f"{shown.show(' ms', 0)}; the model's first token → the first text in the client "
            f"{Spread.of(after_token).show(' ms', 0)}",
            "≤ 300 ms",
            shown.median <= 300,
        )

    def confirm_to_toast(self) -> None:
        """Confirm & post as the page sends it, one post at a time to fresh ConnectWise tickets at the simulator's
        latency, then the card's way of learning the end (its 1 s poll, or the push where the card has one) until
        the answer carries the verified toast; minus the floor: the simulator round trips the handoff made × latency."""
        psa = PSAS["connectwise"]
        web = self.web_client()
        pushed = 0
        tickets = iter(range(FIRST_CONFIRM_TICKET, FIRST_CONFIRM_TICKET + 1000))
        warm_up = self.options.celery_concurrency

        def session_on_a_fresh_ticket(title: str) -> Session:
            ticket = next(tickets)
            self.simulator(psa, "POST", "tickets", {"id": ticket, "summary": f"Bench ticket {ticket}"})
            return services.session_create(account=self.account, user=self.user, title=title, psa_ticket_id=ticket)

        warm_up_sessions = [session_on_a_fresh_ticket("Confirm warm-up") for _ in range(warm_up)]
        sessions = [session_on_a_fresh_ticket(f"Confirm {n}") for n in range(CONFIRM_CLICKS)]
        toast_ms, floor_ms, trips, worker_ms, told_ms = [], [], [], [], []
        answer_ms, pushed_ms, status_ms = [], [], []  # where the time beyond the worker goes
        self.simulator(psa, "POST", "faults", {"latency_ms": LATENCY_MS})
        try:
            self.warm_up_handoffs(warm_up_sessions)  # every worker process has run a handoff before the clicks
            for session in sessions:
                before = sum(self.simulator(psa, "GET", "state")["requests"].values())
                began = time.perf_counter()
                response = self.htmx(
                    web,
                    "POST",
                    self.url("handoff-post", session.pk, DraftKind.RESOLUTION_NOTE),
                    {"markdown": NOTE, "confirm_warnings": "1"},  # no fix recorded: the page asks to confirm
                )
                expect_ok(response)
                found = HANDOFF_ID.search(response.text)
                if found is None:
                    raise RuntimeError(f"Confirm & post answered no handoff card: {response.text[:300]}")
                handoff_id, events = found[1], HANDOFF_EVENTS.search(response.text)
                pushed += events is not None
                answered = time.perf_counter()
                answer_ms.append((answered - began) * 1000)
                if SUCCESS_TOAST not in response.text:
                    told = self.wait_for_toast(web, handoff_id, events_path=events[1] if events else None, began=began)
                    if told is not None:
                        told_at, status_answer = told
                        status_ms.append(status_answer * 1000)
                toast_ms.append((time.perf_counter() - began) * 1000)
                arrived = time.time()
                made = sum(self.simulator(psa, "GET", "state")["requests"].values()) - before
                trips.append(made)
                floor_ms.append(made * LATENCY_MS)
                handoff = Handoff.objects.get(pk=handoff_id)
                if handoff.state != Handoff.State.SUCCEEDED:
                    raise RuntimeError(f"The handoff of “{session.title}” ended {handoff.state}: {handoff.summary}")
                worker_ms.append((handoff.finished_at - handoff.created_at).total_seconds() * 1000)
                told_ms.append((arrived - handoff.finished_at.timestamp()) * 1000)
                if SUCCESS_TOAST not in response.text and told is not None:
                    pushed_ms.append((told_at - handoff.finished_at.timestamp()) * 1000)
        finally:
            self.simulator(psa, "POST", "faults", {})
        beyond = Spread.of([toast - floor for toast, floor in zip(toast_ms, floor_ms, strict=True)])
        pushed_then_status = (
            f"finished → the push read {Spread.of(pushed_ms).show(' ms', 0)}, then the status answer "
            f"{Spread.of(status_ms).show(' ms', 0)}, for the {len(pushed_ms)} of {len(sessions)} posts the push told"
            if pushed_ms
            else "no post was told by the push"
        )
        how = {0: "the card's 1 s poll", len(sessions): "the push (its event stream, then the card)"}.get(
            pushed, f"the push for {pushed} posts, the card's 1 s poll for the rest"
        )
        self.table.add(
            f"Wrap-up: Confirm → verified toast, minus the floor (ConnectWise round trips × {LATENCY_MS} ms), through "
            f"{how}, on gunicorn with the worker ({CONFIRM_CLICKS} posts)",
            f"{beyond.show(' ms', 0)}; toast after {Spread.of(toast_ms).show(' ms', 0)}, floor "
            f"{Spread.of(floor_ms).show(' ms', 0)} ({Spread.of(trips).show('', 0)} round trips); the handoff queued → "
            f"finished {Spread.of(worker_ms).show(' ms', 0)}, finished → toast in the page "
            f"{Spread.of(told_ms).show(' ms', 0)} ({pushed_then_status}); the Confirm answer itself "
            f"{Spread.of(answer_ms).show(' ms', 0)}",
            "≤ 150 ms",
            beyond.median <= 150,
        )

    def warm_up_handoffs(self, sessions: list[Session]) -> None:
        api = self.api_client()
        with ThreadPoolExecutor(len(sessions)) as pool:
            responses = list(
                pool.map(
                    lambda session: api.post(
                        self.url("api-resolution-post", session.pk), json={"markdown": NOTE}, timeout=30
                    ),
                    sessions,
                )
            )
        for response in responses:
            expect_ok(response, 202)
        ids = [response.json()["id"] for response in responses]
        wait_until(
            lambda: Handoff.objects.filter(pk__in=ids, finished_at__isnull=False).count() == len(ids),
            timeout=120,
            what="the warm-up handoffs to finish",
        )

    def wait_for_toast(
        self, web: requests.Session, handoff_id: str, *, events_path: str | None, began: float
    ) -> tuple[float, float] | None:
        """Until the handoff's card answers the verified toast, as the page learns it: told by the card's event
        stream when it has one (then asking for the card), else polling every second after each answer. When the
        push told it: (the epoch time the end was read off the stream, the status answer's seconds)."""
        status_url = self.url("handoff-status", handoff_id)
        if events_path:
            read_stream(web, self.base + events_path, until=("done",))
            told_at, asked = time.time(), time.perf_counter()
            response = self.htmx(web, "GET", status_url)
            expect_ok(response)
            if SUCCESS_TOAST in response.text:
                return told_at, time.perf_counter() - asked
        while True:
            if time.perf_counter() - began > 120:
                raise RuntimeError(f"No verified toast for handoff {handoff_id} within 120 s")
            time.sleep(PAGE_POLL_SECONDS)
            response = self.htmx(web, "GET", status_url)
            expect_ok(response)
            if SUCCESS_TOAST in response.text:
                return None

    def scripted_session_model_calls(self) -> None:
        """Ten edits through the API (facts, a fix set, the fix marked worked), the prepared draft, then Preview:
        the model's drafting calls for the session (those without tools; its title is in their prompt)."""
        api, web = self.api_client(), self.web_client()
        title = f"Scripted wrap-up {self.run_id}"
        session = services.session_create(account=self.account, user=self.user, title=title)
        calls_before = self.claude.call_count
        for n in range(SCRIPTED_FACTS):
            response = api.post(
                self.url("api-facts", session.pk), json={"text": f"Confirmed fact {n + 1}: the drive maps slowly."}
            )
            expect_ok(response, 201)
        response = api.post(self.url("api-fixes", session.pk), json={"title": "Re-map the drive", "confidence_pct": 70})
        expect_ok(response, 201)
        response = api.patch(
            self.url("api-fix", session.pk, response.json()["id"]), json={"outcome": "applied_success"}, timeout=30
        )
        expect_ok(response)
        payload = self.wait_for_prepared(api, session)
        calls_before_preview = self.claude.call_count
        response = self.click_preview(web, session)
        if panel_state(response) != "shown" or 'id="prepared"' not in response.text:
            raise RuntimeError("Preview of the scripted session did not show the draft prepared in the background")
        time.sleep(0.5)  # a call the click started would be under way by now

        def drafting_calls(records: list[dict]) -> int:
            return sum(1 for r in records if not r["body"].get("tools") and title in json.dumps(r["body"]))

        total = drafting_calls(self.claude.requests[calls_before:])
        on_preview = drafting_calls(self.claude.requests[calls_before_preview:])
        draft = Draft.objects.get(pk=payload["draft_id"])
        self.table.add(
            "Wrap-up: model calls in a scripted session (ten edits ending in the fix marked worked, the draft "
            "prepared, then Preview)",
            f"{total} drafting call{'s' * (total != 1)}, {on_preview} on Preview; the background draft cost "
            f"{draft.input_tokens} input, {draft.cache_read_input_tokens} cache-read, "
            f"{draft.cache_creation_input_tokens} cache-write and {draft.output_tokens} output tokens "
            f"({draft.thinking_tokens} of them thinking), as the stub reported them",
            "1 (the background draft), 0 on Preview",
            total == 1 and on_preview == 0,
        )

    def handoffs(self) -> None:
        """Handoffs posted all at once through the API, run after run, to each PSA's simulator, with that
        simulator's ceiling measured between them: a run's rate is its handoffs ÷ (last finished − first queued)."""
        count, runs = self.options.handoffs, self.options.handoff_runs
        results = {poster.psa.key: {"faulty": [], "clean": [], "ceiling": []} for poster in self.posters}
        tickets = iter(range(FIRST_BENCH_TICKET, 10_000_000, count))  # fresh tickets for every run
        for _ in range(runs):  # interleaved, so drift on the machine touches every PSA and every kind of run alike
            for poster in self.posters:
                done = results[poster.psa.key]
                done["faulty"].append(
                    self.handoff_pipeline(poster, count, transient_rate=TRANSIENT_RATE, first_ticket=next(tickets))
                )
                done["ceiling"].append(self.simulator_ceiling(poster.psa, count, first_ticket=next(tickets)))
                done["clean"].append(self.handoff_pipeline(poster, count, transient_rate=0, first_ticket=next(tickets)))
        for poster in self.posters:
            self.handoff_rows(poster.psa, **results[poster.psa.key])

    def handoff_rows(self, psa: BenchPsa, *, faulty: list[dict], clean: list[dict], ceiling: list[float]) -> None:
        count, runs = self.options.handoffs, self.options.handoff_runs
        for label, results in (
            (f"{LATENCY_MS} ms latency, {TRANSIENT_RATE:.0%} transient faults", faulty),
            (f"{LATENCY_MS} ms latency, no faults", clean),
        ):
            total = count * runs
            succeeded = sum(run["succeeded"] for run in results)
            duplicates = sum(run["duplicates"] for run in results)
            missing = sum(run["missing"] for run in results)
            calls = Spread.of([run["round_trips"] for run in results])
            injected = sum(run["faults"] for run in results)
            rates = [run["rate"] for run in results]
            ratio = Spread.of([rate / limit for rate, limit in zip(rates, ceiling, strict=True)])
            # Without the unluckiest 5%, whose backoff alone can make a run's span: the pipeline's capacity.
            rates_95 = [run["rate_95"] for run in results]
            ratio_95 = Spread.of([rate / limit for rate, limit in zip(rates_95, ceiling, strict=True)])
            seconds = Spread.of([s for run in results for s in run["seconds"]])
            slowest = max(s for run in results for s in run["seconds"])
            self.table.add(
                f"{psa.name}: {count} handoffs through Celery, {runs} run{'s' * (runs != 1)} ({label}): succeeded, "
                "duplicate notes",
                f"{succeeded}/{total} succeeded; {duplicates} duplicate notes, {missing} tickets without one; "
                f"{calls.show('', 2)} simulator calls per handoff; {injected} faults injected",
                "all; 0",
                succeeded == total and duplicates == 0 and missing == 0,
            )
            self.table.add(
                f"… {psa.name} handoffs per second ({count} posted by {POSTING_CLIENTS} concurrent clients)",
                f"{Spread.of(rates).show('/s')}, ÷ simulator ceiling {ratio.show('', 2)}; until 95% were done "
                f"{Spread.of(rates_95).show('/s')}, ÷ ceiling {ratio_95.show('', 2)}; post to finish "
                f"{seconds.show(' s', 2)}, slowest {slowest:.1f} s",
            )
        self.table.add(
            f"{psa.name} simulator ceiling, {self.options.celery_concurrency} at a time, {LATENCY_MS} ms latency: "
            f"{psa.client.round_trips}",
            Spread.of(ceiling).show("/s"),
        )

    def add_tickets(self, psa: BenchPsa, first_ticket: int, count: int) -> range:
        tickets = range(first_ticket, first_ticket + count)
        for ticket in tickets:
            self.simulator(psa, "POST", "tickets", {"id": ticket, "summary": f"Bench ticket {ticket}"})
        return tickets

    def handoff_pipeline(self, poster: Poster, count: int, *, transient_rate: float, first_ticket: int) -> dict:
        psa = poster.psa
        sessions = [
            services.session_create(
                account=poster.account, user=poster.user, title="Bench handoff", psa_ticket_id=ticket
            )
            for ticket in self.add_tickets(psa, first_ticket, count)
        ]
        self.simulator(psa, "POST", "faults", {"latency_ms": LATENCY_MS, "transient_rate": transient_rate})
        before = self.simulator(psa, "GET", "state")
        clients = threading.local()

        def post(session):
            if not hasattr(clients, "api"):
                clients.api = self.api_client(poster.token)
            response = clients.api.post(
                self.url("api-resolution-post", session.pk), json={"markdown": NOTE}, timeout=30
            )
            if response.status_code != 202:
                raise RuntimeError(f"Posting a handoff answered {response.status_code}: {response.text[:300]}")
            return response.json()["id"]

        with ThreadPoolExecutor(POSTING_CLIENTS) as pool:
            ids = list(pool.map(post, sessions))
        wait_until(
            lambda: Handoff.objects.filter(pk__in=ids, finished_at__isnull=False).count() == len(ids),
            timeout=600,
            what=f"the {psa.name} handoffs to finish",
        )
        after = self.simulator(psa, "GET", "state")
        self.simulator(psa, "POST", "faults", {})
        handoffs = list(Handoff.objects.filter(pk__in=ids))
        first = min(h.created_at for h in handoffs)
        finished = sorted((h.finished_at - first).total_seconds() for h in handoffs)
        done_95 = math.ceil(0.95 * len(finished))
        tickets = set(range(first_ticket, first_ticket + count))
        notes = Counter(
            note[psa.note_ticket_field] for note in after["notes"] if note[psa.note_ticket_field] in tickets
        )
        return {
            "rate": len(finished) / finished[-1],
            "rate_95": done_95 / finished[done_95 - 1],
            "seconds": [(h.finished_at - h.created_at).total_seconds() for h in handoffs],
            "succeeded": sum(h.state == Handoff.State.SUCCEEDED for h in handoffs),
            "duplicates": sum(n - 1 for n in notes.values() if n > 1),
            "missing": len(tickets - set(notes)),
            "round_trips": (sum(after["requests"].values()) - sum(before["requests"].values())) / len(ids),
            "faults": sum(after["injected_faults"].values()) - sum(before["injected_faults"].values()),
        }

    def simulator_ceiling(self, psa: BenchPsa, count: int, *, first_ticket: int) -> float:
        """The simulator alone: a handoff's minimum round trips (`bench.psas`) sent straight to it by as many
        threads as the Celery worker has processes, with the same latency, no faults."""
        url = self.simulator_urls[psa.key]
        clients = threading.local()

        def handoff(ticket: int) -> None:
            if not hasattr(clients, "psa"):
                clients.psa = psa.client(url)
            clients.psa.handoff(ticket, note=NOTE, status_id=psa.resolved_status_id)

        tickets = self.add_tickets(psa, first_ticket, count)
        self.simulator(psa, "POST", "faults", {"latency_ms": LATENCY_MS})
        with ThreadPoolExecutor(self.options.celery_concurrency) as pool:
            began = time.perf_counter()
            list(pool.map(handoff, tickets))
            rate = count / (time.perf_counter() - began)
        self.simulator(psa, "POST", "faults", {})
        return rate

    def worker_sweep(self) -> None:
        """Throughput of a read-mostly mix (the session API and a cached preview) from SWEEP_CLIENTS clients
        in two processes, with gunicorn at 1, 2 and 4 workers per core. The three servers run side by side
        (idle ones cost nothing) and are loaded in turn, round after round, so drift touches all alike."""
        self.stop_server()
        servers = {per_core: self.start_server(workers=per_core * self.cores) for per_core in WORKERS_PER_CORE}
        rates = {per_core: [] for per_core in servers}
        latencies = {per_core: [] for per_core in servers}
        try:
            for round_number in range(SWEEP_ROUNDS):
                order = list(servers)[round_number % len(servers) :] + list(servers)[: round_number % len(servers)]
                for per_core in order:
                    base = servers[per_core]
                    targets = [
                        ("GET", base + reverse("api-session", args=[self.small.pk])),
                        ("POST", base + reverse("api-resolution-preview", args=[self.preview_session.pk])),
                    ]
                    load = Load(targets, self.token, SWEEP_CLIENTS // 2, warm_up=1.0, seconds=SWEEP_SECONDS)
                    with ProcessPoolExecutor(2) as pool:
                        parts = list(pool.map(run_load, [load, load]))
                    rates[per_core].append(sum(done for done, _ in parts) / SWEEP_SECONDS)
                    latencies[per_core] += [ms for _, samples in parts for ms in samples]
        finally:
            self.stop_server()
        medians = {per_core: Spread.of(samples).median for per_core, samples in rates.items()}
        best = max(medians.values())
        for per_core in servers:
            rate = Spread.of(rates[per_core])
            suggested = "; the most" if medians[per_core] == best else ""
            self.table.add(
                f"gunicorn {per_core} worker(s) per core × {THREADS_PER_WORKER} threads, {SWEEP_CLIENTS} clients, "
                f"{SWEEP_ROUNDS} rounds of {SWEEP_SECONDS:.0f} s",
                f"{rate.show(' requests/s', 0)} = {medians[per_core] / best:.2f} of the best{suggested}; latency "
                f"{Spread.of(latencies[per_core]).show(' ms')}",
            )


@dataclass(frozen=True)
class Load:
    """`clients` keep-alive clients sending `targets` round-robin for `warm_up` seconds, then `seconds` more;
    only the requests sent in those last seconds are counted."""

    targets: list[tuple[str, str]]
    token: str
    clients: int
    warm_up: float
    seconds: float


def run_load(load: Load) -> tuple[int, list[float]]:
    """Run a load (in a process of its own, for the sweep): how many requests were counted, and their latencies
    in ms. Any client's failure fails the load."""
    measure_from = time.monotonic() + load.warm_up
    stop = measure_from + load.seconds
    done, latencies, errors, lock = 0, [], [], threading.Lock()

    def client():
        nonlocal done
        session = requests.Session()
        session.headers["Authorization"] = f"Token {load.token}"
        turn = 0
        try:
            while time.monotonic() < stop:
                method, url = load.targets[turn % len(load.targets)]
                turn += 1
                counted = time.monotonic() >= measure_from
                began = time.perf_counter()
                response = session.request(method, url, json={} if method == "POST" else None, timeout=30)
                elapsed = (time.perf_counter() - began) * 1000
                expect_ok(response)
                if counted:
                    with lock:
                        done += 1
                        latencies.append(elapsed)
        except Exception as error:  # handed to the caller below
            errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(load.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return done, latencies


def read_stream(
    client: requests.Session, url: str, *, open_within: float = 0.0, until: tuple[str, ...] = ("done", "error")
) -> tuple[float | None, str]:
    """(when the first delta arrived, the final event's name), reading a text/event-stream as a browser would.
    `open_within`: seconds during which a 404 means the stream's work has not started yet, so it is asked again."""
    deadline = time.monotonic() + open_within
    while True:
        response = client.get(url, stream=True, timeout=60, headers={"Accept": "text/event-stream"})
        if response.status_code != 404 or time.monotonic() >= deadline:
            break
        response.close()
        time.sleep(0.02)
    first, name = None, ""
    with response:
        expect_ok(response)
        for line in response.iter_lines(chunk_size=1, decode_unicode=True):
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
                if name == "delta" and first is None:
                    first = time.monotonic()
                if name in until:
                    break
    return first, name


def url_is_built(path: str) -> bool:
    """Whether the app routes `path` (a feature another change is adding answers 404 until it lands)."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def panel_state(response: requests.Response) -> str:
    """The preview panel's state: "shown" (its draft) or "pending" (it says it is drafting)."""
    expect_ok(response)
    if 'id="panel-title"' in response.text:
        return "shown"
    if 'id="preview-panel"' in response.text and "Drafting the" in response.text:
        return "pending"
    raise RuntimeError(f"{response.request.method} {response.url} answered no preview panel: {response.text[:300]}")


def expect_ok(response: requests.Response, status: int = 200) -> None:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.url} answered {response.status_code}: {response.text[:300]}"
        )


def wait_until(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def wait_for_draft(client: requests.Session, url: str) -> None:
    """Ask for the preview until it is ready."""
    began = time.perf_counter()
    while True:
        response = client.post(url, json={}, timeout=60)
        if response.status_code == 200:
            return
        if response.status_code != 202 or time.perf_counter() - began > 60:
            raise RuntimeError(f"The preview answered {response.status_code}: {response.text[:300]}")
        time.sleep(0.05)

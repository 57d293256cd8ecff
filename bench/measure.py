"""The measurements, each against the running stack over real HTTP, and the table they make."""

import math
import os
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.services import account_create, account_settings_update
from bench import stack
from bench.middleware import HEADER as QUERIES
from bench.stats import Spread, paired_ratios
from handoff.models import Handoff
from psa.services import psa_connection_save
from psa.simulator import (
    SIMULATOR_CLIENT_ID,
    SIMULATOR_COMPANY_ID,
    SIMULATOR_PRIVATE_KEY,
    SIMULATOR_PUBLIC_KEY,
    connection_fields,
)
from sessions import services
from sessions.models import Fact, Session

PASSWORD = "bench-password-not-secret"
RESOLVED_STATUS_ID = 5
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


class Bench:
    def __init__(self, *, env, log_dir, claude, simulator_url, run_id, options):
        self.env, self.log_dir, self.claude, self.options = env, log_dir, claude, options
        self.simulator_url = simulator_url
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

    def simulator(self, method: str, action: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{self.simulator_url}/__simulator/{action}", json=body, timeout=10)
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
        psa_connection_save(account=account, **connection_fields(self.simulator_url))
        account_settings_update(account=account, changes={"cw_resolved_status_id": RESOLVED_STATUS_ID})
        self.small = self.session_with_facts(5)
        self.large = self.session_with_facts(500)
        self.preview_session = self.session_with_facts(5)
        self.burst_session = self.session_with_facts(5)

    def session_with_facts(self, count: int) -> Session:
        session = services.session_create(account=self.account, user=self.user, title=f"Bench session, {count} facts")
        Fact.objects.bulk_create(
            Fact(session=session, created_by=self.user, text=f"Confirmed fact number {n}: the mapped drive is slow.")
            for n in range(count)
        )
        services.fix_set(session=session, user=self.user, title="Re-map the drive", confidence_pct=70)
        return Session.objects.get(pk=session.pk)

    def api_client(self) -> requests.Session:
        client = requests.Session()
        client.headers["Authorization"] = f"Token {self.token}"
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
        self.start_server(workers=2 * self.cores)
        self.latency_and_queries()
        self.concurrent_previews()
        self.handoffs()
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

    def handoffs(self) -> None:
        """Handoffs posted all at once through the API, run after run, with the simulator's ceiling
        measured between them: a run's rate is its handoffs ÷ (last finished − first queued)."""
        count, runs = self.options.handoffs, self.options.handoff_runs
        faulty, clean, ceiling = [], [], []
        tickets = iter(range(FIRST_BENCH_TICKET, 10_000_000, count))  # fresh tickets for every run
        for _ in range(runs):  # interleaved, so drift on the machine touches all three alike
            faulty.append(self.handoff_pipeline(count, transient_rate=TRANSIENT_RATE, first_ticket=next(tickets)))
            ceiling.append(self.simulator_ceiling(count, first_ticket=next(tickets)))
            clean.append(self.handoff_pipeline(count, transient_rate=0, first_ticket=next(tickets)))
        for label, results in (
            (f"{LATENCY_MS} ms latency, {TRANSIENT_RATE:.0%} transient faults", faulty),
            (f"{LATENCY_MS} ms latency, no faults", clean),
        ):
            total = count * runs
            succeeded = sum(run["succeeded"] for run in results)
            duplicates = sum(run["duplicates"] for run in results)
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
                f"{count} handoffs through Celery, {runs} run{'s' * (runs != 1)} ({label}): succeeded, duplicate notes",
                f"{succeeded}/{total} succeeded; {duplicates} duplicate notes; {calls.show('', 2)} simulator calls "
                f"per handoff; {injected} faults injected",
                "all; 0",
                succeeded == total and duplicates == 0,
            )
            self.table.add(
                f"… handoffs per second ({count} posted by {POSTING_CLIENTS} concurrent clients)",
                f"{Spread.of(rates).show('/s')}, ÷ simulator ceiling {ratio.show('', 2)}; until 95% were done "
                f"{Spread.of(rates_95).show('/s')}, ÷ ceiling {ratio_95.show('', 2)}; post to finish "
                f"{seconds.show(' s', 2)}, slowest {slowest:.1f} s",
            )
        self.table.add(
            f"Simulator ceiling: 3 round trips per handoff, {self.options.celery_concurrency} at a time, "
            f"{LATENCY_MS} ms latency",
            Spread.of(ceiling).show("/s"),
        )

    def handoff_pipeline(self, count: int, *, transient_rate: float, first_ticket: int) -> dict:
        sessions = []
        for ticket in range(first_ticket, first_ticket + count):
            self.simulator("POST", "tickets", {"id": ticket, "summary": f"Bench ticket {ticket}"})
            sessions.append(
                services.session_create(
                    account=self.account, user=self.user, title="Bench handoff", psa_ticket_id=ticket
                )
            )
        self.simulator("POST", "faults", {"latency_ms": LATENCY_MS, "transient_rate": transient_rate})
        before = self.simulator("GET", "state")
        clients = threading.local()

        def post(session):
            if not hasattr(clients, "api"):
                clients.api = self.api_client()
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
            what="the handoffs to finish",
        )
        after = self.simulator("GET", "state")
        self.simulator("POST", "faults", {})
        handoffs = list(Handoff.objects.filter(pk__in=ids))
        first = min(h.created_at for h in handoffs)
        finished = sorted((h.finished_at - first).total_seconds() for h in handoffs)
        done_95 = math.ceil(0.95 * len(finished))
        tickets = set(range(first_ticket, first_ticket + count))
        notes = Counter(note["ticketId"] for note in after["notes"] if note["ticketId"] in tickets)
        return {
            "rate": len(finished) / finished[-1],
            "rate_95": done_95 / finished[done_95 - 1],
            "seconds": [(h.finished_at - h.created_at).total_seconds() for h in handoffs],
            "succeeded": sum(h.state == Handoff.State.SUCCEEDED for h in handoffs),
            "duplicates": sum(n - 1 for n in notes.values() if n > 1),
            "round_trips": (sum(after["requests"].values()) - sum(before["requests"].values())) / len(ids),
            "faults": sum(after["injected_faults"].values()) - sum(before["injected_faults"].values()),
        }

    def simulator_ceiling(self, count: int, *, first_ticket: int) -> float:
        """The simulator alone: a handoff's 3 round trips (note, status change, re-fetch) sent straight
        to it by as many threads as the Celery worker has processes, with the same latency, no faults."""
        api = f"{self.simulator_url}/v4_6_release/apis/3.0/service/tickets"
        auth = (f"{SIMULATOR_COMPANY_ID}+{SIMULATOR_PUBLIC_KEY}", SIMULATOR_PRIVATE_KEY)
        clients = threading.local()

        def handoff(ticket: int) -> None:
            if not hasattr(clients, "cw"):
                clients.cw = requests.Session()
                clients.cw.auth, clients.cw.headers["clientId"] = auth, SIMULATOR_CLIENT_ID
            note = {"text": NOTE, "resolutionFlag": True, "internalAnalysisFlag": False, "detailDescriptionFlag": False}
            clients.cw.post(f"{api}/{ticket}/notes", json=note, timeout=10).raise_for_status()
            status = [{"op": "replace", "path": "status", "value": {"id": RESOLVED_STATUS_ID}}]
            clients.cw.patch(f"{api}/{ticket}", json=status, timeout=10).raise_for_status()
            clients.cw.get(f"{api}/{ticket}", timeout=10).raise_for_status()

        for ticket in range(first_ticket, first_ticket + count):
            self.simulator("POST", "tickets", {"id": ticket, "summary": f"Bench ticket {ticket}"})
        self.simulator("POST", "faults", {"latency_ms": LATENCY_MS})
        with ThreadPoolExecutor(self.options.celery_concurrency) as pool:
            began = time.perf_counter()
            list(pool.map(handoff, range(first_ticket, first_ticket + count)))
            rate = count / (time.perf_counter() - began)
        self.simulator("POST", "faults", {})
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


def expect_ok(response: requests.Response) -> None:
    if response.status_code != 200:
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

"""`python -m bench` (what `make bench` runs): start the stack, seed, measure, print the table."""

import argparse
import os
import platform
import secrets
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import stack
from flowpilot.env import redact_url as redact

PROVIDERS = ("connectwise", "autotask", "halopsa")  # bench.psas.PSAS, which needs Django set up to import
MEASURES = ("latency", "previews", "handoffs", "assistant", "wrapup", "sweep")


def names(allowed: tuple[str, ...]):
    """An argparse type: a comma-separated list of some of `allowed`, in the order given, each once."""

    def parse(value: str) -> list[str]:
        chosen = list(dict.fromkeys(name.strip().lower() for name in value.split(",") if name.strip()))
        unknown = [name for name in chosen if name not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"{', '.join(unknown) or 'nothing'} is not one of {', '.join(allowed)} (comma-separated)"
            )
        return chosen

    return parse


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="Interleaved rounds of latency samples.")
    parser.add_argument("--per-round", type=int, default=20, help="Requests per endpoint in each round.")
    parser.add_argument("--handoffs", type=int, default=200, help="Handoffs through the Celery worker, per run.")
    parser.add_argument("--handoff-runs", type=int, default=3, help="Runs of those handoffs (with and without faults).")
    parser.add_argument("--celery-concurrency", type=int, default=8, help="Celery worker processes.")
    parser.add_argument(
        "--providers",
        type=names(PROVIDERS),
        default=list(PROVIDERS),
        help=f"The PSAs the handoff runs post to, each on its own simulator, comma-separated (default "
        f"{','.join(PROVIDERS)}).",
    )
    parser.add_argument(
        "--measures",
        type=names(MEASURES),
        default=list(MEASURES),
        help=f"What to measure, comma-separated (default all: {','.join(MEASURES)}); e.g. a quick check of the "
        "handoffs: --measures handoffs --providers autotask --handoffs 20 --handoff-runs 1.",
    )
    options = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL") or stack.DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL") or stack.DEFAULT_REDIS_URL
    try:
        stack.database_ready(database_url)
        stack.redis_ready(redis_url)
    except stack.ServiceMissing as error:
        print(f"FATAL: {error}", file=sys.stderr)
        return 1

    run_id = secrets.token_hex(4)
    scratch = Path(tempfile.mkdtemp(prefix="flowpilot-bench-"))  # kept: every process's log is here
    claude_port = stack.free_port()  # known before Django is set up: every process's environment names it
    env = stack.app_environment(
        database_url=database_url,
        redis_url=redis_url,
        claude_url=f"http://127.0.0.1:{claude_port}",
        run_id=run_id,
        static_root=scratch / "static",
    )
    os.environ.update(env)
    import django

    django.setup()
    from bench import measure
    from bench.psas import PSAS
    from devtools.claude_stub import ClaudeStub  # it reads the draft kinds: importable once Django is set up

    with ExitStack() as cleanup:
        claude = cleanup.enter_context(ClaudeStub(port=claude_port))

        print(
            f"Benchmark run {run_id}: PostgreSQL {redact(database_url)}, Redis {redact(redis_url)}; logs in {scratch}",
            flush=True,
        )
        stack.manage(env, "migrate", "--no-input", "-v", "0")
        stack.manage(env, "collectstatic", "--no-input", "-v", "0")
        # ConnectWise's simulator always runs: the account the latency measures read is connected to it (they never
        # call it). The other PSAs' simulators run when their handoffs are measured.
        simulator_urls = {}
        for key in dict.fromkeys(["connectwise", *options.providers]):
            port = stack.free_port()
            simulator = stack.simulator(env, scratch, command=PSAS[key].command, port=port)
            cleanup.callback(simulator.stop)
            simulator_urls[key] = f"http://127.0.0.1:{port}"
        worker = stack.celery_worker(env, scratch, concurrency=options.celery_concurrency)
        cleanup.callback(worker.stop)

        bench = measure.Bench(
            env=env,
            log_dir=scratch,
            claude=claude,
            simulator_urls=simulator_urls,
            run_id=run_id,
            options=options,
        )
        cleanup.callback(bench.stop_server)
        table = bench.run()
    print()
    print(machine_line(database_url, options))
    print()
    print(table)
    return 0


def machine_line(database_url: str, options) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, {memory_kib / 2**20:.0f} GiB; Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; latencies on gunicorn with 2 gthread workers per core × "
        f"4 threads; a Celery prefork worker (concurrency {options.celery_concurrency}); PostgreSQL, Redis and "
        "the load generator on the same machine."
    )


if __name__ == "__main__":
    sys.exit(main())

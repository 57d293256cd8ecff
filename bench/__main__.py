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


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="Interleaved rounds of latency samples.")
    parser.add_argument("--per-round", type=int, default=20, help="Requests per endpoint in each round.")
    parser.add_argument("--handoffs", type=int, default=200, help="Handoffs through the Celery worker, per run.")
    parser.add_argument("--handoff-runs", type=int, default=3, help="Runs of those handoffs (with and without faults).")
    parser.add_argument("--celery-concurrency", type=int, default=8, help="Celery worker processes.")
    options = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL") or stack.DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL") or stack.DEFAULT_REDIS_URL
    try:
        stack.database_ready(database_url)
        stack.redis_ready(redis_url)
    except stack.ServiceMissing as error:
        print(f"FATAL: {error}", file=sys.stderr)
        return 1

    from handoff.claude_stub import ClaudeStub

    run_id = secrets.token_hex(4)
    scratch = Path(tempfile.mkdtemp(prefix="flowpilot-bench-"))  # kept: every process's log is here
    with ExitStack() as cleanup:
        claude = cleanup.enter_context(ClaudeStub())
        env = stack.app_environment(
            database_url=database_url,
            redis_url=redis_url,
            claude_url=claude.url,
            run_id=run_id,
            static_root=scratch / "static",
        )
        os.environ.update(env)
        import django

        django.setup()
        from bench import measure

        print(
            f"Benchmark run {run_id}: PostgreSQL {redact(database_url)}, Redis {redact(redis_url)}; logs in {scratch}",
            flush=True,
        )
        stack.manage(env, "migrate", "--no-input", "-v", "0")
        stack.manage(env, "collectstatic", "--no-input", "-v", "0")
        simulator_port = stack.free_port()
        simulator = stack.simulator(env, scratch, port=simulator_port)
        cleanup.callback(simulator.stop)
        worker = stack.celery_worker(env, scratch, concurrency=options.celery_concurrency)
        cleanup.callback(worker.stop)

        bench = measure.Bench(
            env=env,
            log_dir=scratch,
            claude=claude,
            simulator_url=f"http://127.0.0.1:{simulator_port}",
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

"""`aiochain serve`: run the simulation server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from ..runnables._sync import run
from ..sim import SimServer


def run_serve(args: argparse.Namespace) -> None:
    """Serve with the options of `args` until interrupted."""
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    server = SimServer(
        host=args.host,
        port=args.port,
        latency=args.latency,
        latency_jitter=args.latency_jitter,
        tokens_per_second=args.tokens_per_second,
        rpm=args.rpm,
        tpm=args.tpm,
        fail_rate=args.fail_rate,
        fail_status=args.fail_status,
        drop_rate=args.drop_rate,
        hang_rate=args.hang_rate,
        overload_rate=args.overload_rate,
        stream_cut_rate=args.stream_cut_rate,
        malformed_rate=args.malformed_rate,
        slow_body_rate=args.slow_body_rate,
        slow_body_pause=args.slow_body_pause,
        retry_after_max=args.retry_after_max,
        batch_speed=args.batch_speed,
        batch_fail_rate=args.batch_fail_rate,
        batch_expire_rate=args.batch_expire_rate,
        batch_stuck_rate=args.batch_stuck_rate,
        batch_malformed_rate=args.batch_malformed_rate,
        batch_token_limit=args.batch_token_limit,
        gemini_rpd=args.gemini_rpd,
        api_key=args.api_key,
        seed=args.seed,
        models=models,
    )
    with contextlib.suppress(KeyboardInterrupt):
        run(_serve(server))  # on uvloop when installed, so the server keeps up with clients
    print("aiochain serve: stopped", flush=True)


async def _serve(server: SimServer) -> None:
    url = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    settings = [
        f"latency {server.latency:g}s"
        + (f" ±{server.latency_jitter:g}s" if server.latency_jitter else ""),
        f"{server.tokens_per_second:g} tokens/s" if server.tokens_per_second else "no token pacing",
        f"rpm {server.rpm:g}" if server.rpm else "no rpm limit",
        f"tpm {server.tpm:g}" if server.tpm else "no tpm limit",
    ]
    faults = [
        f"{name} {rate:g}"
        for name, rate in (
            ("fail", server.fail_rate),
            ("drop", server.drop_rate),
            ("hang", server.hang_rate),
            ("overload", server.overload_rate),
            ("stream-cut", server.stream_cut_rate),
            ("malformed", server.malformed_rate),
            ("slow-body", server.slow_body_rate),
            ("batch-fail", server.batch_fail_rate),
            ("batch-expire", server.batch_expire_rate),
            ("batch-stuck", server.batch_stuck_rate),
            ("batch-malformed", server.batch_malformed_rate),
        )
        if rate
    ]
    if server.retry_after_max is not None:
        faults.append(f"retry-after up to {server.retry_after_max:g}s")
    if faults:
        settings.append("faults: " + ", ".join(faults))
    if server.batch_speed != 1.0:
        settings.append(f"batches {server.batch_speed:g}x")
    if server.gemini_rpd:
        settings.append(f"Gemini {server.gemini_rpd} requests a day")
    if server.api_key:
        settings.append("API key required")
    print(f"aiochain serve: OpenAI-compatible simulation at {url}", flush=True)
    print("  " + "; ".join(settings), flush=True)
    print(f"  point any OpenAI client at it: OPENAI_BASE_URL={url}   |   Ctrl-C stops", flush=True)
    print(
        f"  Anthropic: ANTHROPIC_BASE_URL={server.root_url}   |   "
        f"Azure OpenAI: AZURE_OPENAI_ENDPOINT={server.root_url}   |   "
        f"Gemini: GOOGLE_GEMINI_BASE_URL={server.root_url}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await server.aclose()

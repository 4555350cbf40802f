"""`python -m local` (`make dev`): the whole service on this machine, no AWS account and no Docker needed."""

from __future__ import annotations

import argparse
import sys

from local.runtime import SCENARIOS, Options, run


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port")
    return port


def _port_or_any(text: str) -> int:
    return 0 if text == "0" else _port(text)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=_port, default=8000, help="port of the portal and API (default 8000)")
    parser.add_argument(
        "--moto-port",
        type=_port_or_any,
        default=0,
        help="port of the AWS emulation (default 0: any free port)",
    )
    parser.add_argument("--fire-now", action="store_true", help="fire every job's schedule once at start")
    parser.add_argument("--no-demo-data", action="store_true", help="start with empty platform data")
    parser.add_argument(
        "--require-mfa",
        action="store_true",
        help="require an authenticator code at sign-in, as the deployed user pool does",
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help="start in a demo scenario that shows each health at once: late (a missed tick), failing (a "
        "configuration problem), all (both, plus a degraded and a paused job); it runs the jobs itself, "
        "so --fire-now is not needed",
    )
    args = parser.parse_args(argv)
    if args.scenario and args.no_demo_data:
        parser.error("--scenario works on the demo data: leave out --no-demo-data")
    return Options(
        port=args.port,
        moto_port=args.moto_port,
        fire_now=args.fire_now,
        demo_data=not args.no_demo_data,
        require_mfa=args.require_mfa,
        scenario=args.scenario,
    )


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        # Lines must reach a terminal or a pipe as they happen, not when a buffer fills.
        sys.stdout.reconfigure(line_buffering=True)
    sys.exit(run(parse_args()))

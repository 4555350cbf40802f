"""Starts and stops the local service: AWS emulation, Lambda emulation, provisioning, scheduler, gateway.

Only this module, `local.aws` and `local.cognito` (moto alone) are imported before the environment is set:
everything that imports the functions (whose settings and models read the environment) is imported after it.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from local.aws import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    LOCALHOST,
    EmbeddedAws,
    apply_environment,
    base_environment,
    endpoint_environment,
    enforce_ses_sandbox,
)
from local.cognito import emulate_cognito

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from local.gateway import GatewayServer
    from local.lambdas import LambdaEndpoint, LambdaService
    from local.logs import LogStore
    from local.provision import Provisioned
    from local.scheduler import LocalScheduler

PORTAL_DIR = Path(__file__).resolve().parent.parent / "portal"
EXIT_PORT_IN_USE = 2
EXIT_INTERRUPTED = 130
READY_LINE = "Ready:"
# How long Ctrl-C waits for running invocations before the emulation goes down under them.
STOP_GRACE_SECONDS = 5
# Demo scenarios (local.scenarios), named here: the command line offers them before the environment is set.
SCENARIOS = ("late", "failing", "all")
# How long a scenario waits for the runs it fires; the demo data's runs take a few seconds.
SCENARIO_RUN_SECONDS = 120

_T = TypeVar("_T")


@dataclass(frozen=True)
class Options:
    port: int = 8000
    moto_port: int = 0
    fire_now: bool = False
    demo_data: bool = True
    require_mfa: bool = False
    scenario: str | None = None


class PortInUseError(Exception):
    def __init__(self, what: str, port: int) -> None:
        super().__init__(f"port {port} ({what}) is already in use")
        self.what = what
        self.port = port


def _claim(what: str, port: int, bind: Callable[[], _T]) -> _T:
    try:
        return bind()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(what, port) from error
        raise


class Runtime:
    def __init__(self, options: Options, out: TextIO = sys.stdout) -> None:
        self.options = options
        self.origin = f"http://{LOCALHOST}:{options.port}"
        self._out = out
        self._stopping = threading.Event()
        self._serving: list[ThreadingHTTPServer] = []
        self._scheduler: LocalScheduler | None = None
        self._scheduler_thread: threading.Thread | None = None
        self._aws: EmbeddedAws | None = None
        self._gateway: GatewayServer | None = None
        self._endpoint: LambdaEndpoint | None = None
        self._lambdas: LambdaService | None = None
        self._logs: LogStore | None = None
        self.provisioned: Provisioned | None = None
        self._undo_sandbox: Callable[[], None] = lambda: None
        self._undo_cognito: Callable[[], None] = lambda: None
        self.scenario_lines: list[str] = []

    def _say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def start(self) -> None:
        self._stopping.clear()
        # Metrics are off locally (no CloudWatch); Powertools still warns about sets it never flushes.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        warnings.filterwarnings("ignore", message="Dimension '.*' has already been added")
        apply_environment(
            {
                **base_environment(DEFAULT_REGION),
                "LOG_LINK_TEMPLATE": self.origin + "/logs/{run_id}",
                "PORTAL_ORIGIN": self.origin,
                # No X-Ray daemon or CloudWatch here: traces are off, metrics are not printed over the logs.
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
            }
        )
        from functions.observability import logger
        from functions.settings import get_settings
        from local import logs
        from local.gateway import GatewayServer
        from local.lambdas import LambdaEndpoint, LambdaService, service_functions

        self._gateway = _claim("portal and API", self.options.port, lambda: GatewayServer(self.options.port))
        self._say("Starting the AWS emulation (moto)...")
        self._aws = EmbeddedAws(self.options.moto_port)
        moto_url = _claim("AWS emulation", self.options.moto_port, self._aws.start)
        self._undo_sandbox = enforce_ses_sandbox()
        self._undo_cognito = emulate_cognito(self._say, self.origin + "/")
        store = self._logs = logs.LogStore(echo=self._out)
        logs.capture(logger, store)
        settings = get_settings()
        self._lambdas = LambdaService(
            service_functions(settings), region=settings.region, account_id=ACCOUNT_ID, logs=store
        )
        self._endpoint = LambdaEndpoint(0, self._lambdas)
        apply_environment(endpoint_environment(moto_url, self._endpoint.url))
        self._provision(store)
        self._serve()
        if self.options.scenario:
            self._apply_scenario(self.options.scenario)

    def _provision(self, store: LogStore) -> None:
        from functions.automations.report_links import DOWNLOAD_PATH
        from functions.settings import get_settings
        from local import demo_data
        from local.gateway import Gateway, TokenVerifier
        from local.provision import provision

        assert self._aws is not None and self._lambdas is not None and self._gateway is not None
        prefix = get_settings().resource_prefix
        self._say("Creating tables, user pool, schedules, sender identity, bucket and alert topic...")
        self.provisioned = provision(
            self._lambdas.function_arn,
            f"arn:aws:iam::{ACCOUNT_ID}:role/{prefix}-scheduler",
            require_mfa=self.options.require_mfa,
        )
        settings = get_settings()
        if self.options.demo_data:
            self._say("Loading demo platform data...")
            self._say("  " + demo_data.load().replace("\n", "\n  "))
        if self.options.scenario:
            from functions.clock import SYSTEM_CLOCK
            from local import scenarios

            # Before the scheduler starts: the watchdog's first pass would start tracking every job from now.
            scenarios.seed(scenarios.scenario(self.options.scenario), SYSTEM_CLOCK.now())
        pool = self.provisioned.user_pool_id
        lambdas = self._lambdas
        api_function = settings.function_name("api")
        download_function = settings.function_name("report-download")
        self._gateway.gateway = Gateway(
            origin=self.origin,
            region=settings.region,
            user_pool_id=pool,
            client_id=self.provisioned.client_id,
            cognito_url=self._aws.url,
            verifier=TokenVerifier(
                f"{self._aws.url}/{pool}/.well-known/jwks.json",
                issuer=f"https://cognito-idp.{settings.region}.amazonaws.com/{pool}",
                audience=self.provisioned.client_id,
            ),
            invoke_api=lambda event: lambdas.invoke(api_function, event),
            logs=store,
            portal_dir=PORTAL_DIR,
            public_routes={DOWNLOAD_PATH: lambda event: lambdas.invoke(download_function, event)},
        )

    def _serve(self) -> None:
        from functions.settings import get_settings
        from local.scheduler import LocalScheduler

        assert self._lambdas is not None and self._gateway is not None and self._endpoint is not None
        self._lambdas.start()
        for server in (self._endpoint, self._gateway):
            threading.Thread(target=server.serve_forever, name=type(server).__name__, daemon=True).start()
            self._serving.append(server)
        scheduler = self._scheduler = LocalScheduler(
            get_settings().schedule_group, self._lambdas.invoke_async
        )
        self._scheduler_thread = threading.Thread(
            target=scheduler.run, args=(self._stopping.wait,), name="scheduler", daemon=True
        )
        self._scheduler_thread.start()

    def _apply_scenario(self, name: str) -> None:
        from functions.settings import get_settings
        from local import scenarios

        assert self._scheduler is not None and self._lambdas is not None and self._gateway is not None
        assert self.provisioned is not None and self._aws is not None
        scheduler, lambdas, settings = self._scheduler, self._lambdas, get_settings()

        def fire(names: Sequence[str]) -> None:
            scheduler.fire_now([settings.schedule_name(name) for name in names])
            if not lambdas.wait_idle(SCENARIO_RUN_SECONDS):
                raise scenarios.ScenarioError(
                    f"runs of {', '.join(names)} still going after {SCENARIO_RUN_SECONDS} s"
                )

        chosen = scenarios.scenario(name)
        self._say(f"Scenario {name}: running the jobs it needs, then the watchdog's pass...")
        call_api = scenarios.api_as(self._gateway.gateway, self.provisioned.user_pool_id, scenarios.PAUSED_BY)
        scenarios.apply(chosen, fire, call_api)
        status, body = call_api("GET", "/jobs", None)
        if status != 200:
            raise scenarios.ScenarioError(f"reading the status failed: {status} {body}")
        self.scenario_lines = scenarios.describe(chosen, body["jobs"], self.origin, self._aws.url)

    def fire_now(self) -> None:
        from functions.catalog import JOB_NAMES
        from functions.settings import get_settings

        assert self._scheduler is not None
        settings = get_settings()
        self._say("--fire-now: firing every job's schedule once.")
        self._scheduler.fire_now([settings.schedule_name(job) for job in JOB_NAMES])

    def stop(self) -> None:
        """Stops whatever was started, in an order that keeps each part's dependencies up until it is done."""
        self._stopping.set()
        if self._scheduler_thread is not None:
            # No new ticks while the rest goes down.
            self._scheduler_thread.join(timeout=5)
        for server in self._serving:
            server.shutdown()
        for bound in (self._gateway, self._endpoint):
            if bound is not None:
                bound.server_close()
        if self._lambdas is not None:
            if not self._lambdas.wait_idle(STOP_GRACE_SECONDS):
                self._say(f"Invocations still running after {STOP_GRACE_SECONDS} s are abandoned.")
            self._lambdas.stop()
        if self._logs is not None:
            # An abandoned handler may still log; nothing may write to the console as the process exits.
            self._logs.silence()
        if self._aws is not None:
            self._aws.stop()
            self._undo_sandbox()
            self._undo_cognito()
        self._serving = []
        self._scheduler = self._scheduler_thread = None
        self._gateway = self._endpoint = None
        self._lambdas = None
        self._logs = None
        self._aws = None

    def banner(self) -> str:
        """What a new user needs: where to go, how to sign in, where AWS is, when jobs run, how to stop."""
        from functions.catalog import CATALOG
        from functions.settings import get_settings

        assert self.provisioned is not None and self._aws is not None
        settings = get_settings()
        now = datetime.now(UTC)
        moto = self._aws.url
        width = max(len(user.username) for user in self.provisioned.users)
        logins = [
            f"    {user.username:<{width}} / {user.password}   ({','.join(user.groups)}: {user.rights})"
            for user in self.provisioned.users
        ]
        schedules = [
            f"    {job.name:<18} {job.schedule.describe()}; next {_local_time(job.schedule.next_after(now))}"
            for job in CATALOG
        ]
        return "\n".join(
            [
                "",
                "DevSphere Automation is running locally.",
                f"  Portal         {self.origin}/",
                f"  API            {self.origin}/api  (Authorization: Bearer <Cognito ID token>)",
                "  Demo logins (new passwords at every start):",
                *logins,
                (
                    "  Sign-in asks for an authenticator code (TOTP required, as deployed)."
                    if self.options.require_mfa
                    else "  Authenticator codes are optional here; deployed pools require them "
                    "(--require-mfa)."
                ),
                "  Cognito's emails (invitations, password reset codes) are printed here.",
                f"  AWS emulation  {moto}  (e.g. aws --endpoint-url {moto} dynamodb list-tables)",
                "  Command line   paste the line below, then run `automation login --username admin`:",
                f"    export AUTOMATION_API_URL={self.origin}/api AUTOMATION_REGION={settings.region}"
                f" AUTOMATION_USER_POOL_ID={self.provisioned.user_pool_id}"
                f" AUTOMATION_CLIENT_ID={self.provisioned.client_id} AUTOMATION_COGNITO_ENDPOINT={moto}",
                "  Schedules fire at their real times:",
                *schedules,
                "  Each run's logs are printed here and linked from the run in the portal.",
                *self.scenario_lines,
                "  Stop with Ctrl-C.",
                f"{READY_LINE} {self.origin}/",
            ]
        )


def _local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%a %H:%M %Z") if moment else "never"


def run(options: Options, out: TextIO = sys.stdout) -> int:
    """The `python -m local` process: start, serve until Ctrl-C or SIGTERM, stop cleanly."""
    runtime = Runtime(options, out)
    try:
        runtime.start()
    except PortInUseError as error:
        runtime.stop()
        print(
            f"error: {error}. Stop whatever uses it, or choose another port with --port/--moto-port.",
            file=sys.stderr,
        )
        return EXIT_PORT_IN_USE
    except KeyboardInterrupt:
        runtime.stop()
        return EXIT_INTERRUPTED
    except BaseException:
        runtime.stop()
        raise
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    try:
        print(runtime.banner(), file=out, flush=True)
        # A scenario ran the jobs it needs already; firing them again would blur what it shows.
        if options.fire_now and not options.scenario:
            runtime.fire_now()
        while not stop.wait(0.5):
            pass
    finally:
        print("Stopping...", file=out, flush=True)
        runtime.stop()
    print("Stopped.", file=out, flush=True)
    return 0

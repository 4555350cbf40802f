"""`python -m infra.app` (what cdk.json runs): synthesizes the stack offline, no AWS credentials needed.

Context (cdk.json or `-c key=value`): stage (default "dev"), alertEmail, senderEmail, retentionDays,
bundleDependencies (default "true": requirements.lock is installed into the code asset; "false" leaves
it out, for tests and quick offline synths only). See docs/deploy.md.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment
from aws_cdk import aws_lambda as lambda_

from functions.clock import SYSTEM_CLOCK
from infra.bundle import REPO_ROOT, bundle
from infra.config import StageConfig
from infra.constructs.function import PYTHON_VERSION
from infra.nag import enable_checks
from infra.stack import AutomationStack

PORTAL_SITE = REPO_ROOT / "portal"
BUNDLE_DIR = REPO_ROOT / "build" / "lambda"


def build_app(
    context: dict[str, Any] | None = None,
    *,
    outdir: str | None = None,
    bundle_dir: Path = BUNDLE_DIR,
    synth_time: datetime | None = None,
) -> tuple[App, AutomationStack]:
    app = App(context=context, outdir=outdir)
    enable_checks(app)
    config = StageConfig.from_context(app.node)
    code_dir = bundle(bundle_dir, python_version=PYTHON_VERSION, with_dependencies=config.bundle_dependencies)
    stack = AutomationStack(
        app,
        config.prefix,
        config=config,
        code=lambda_.Code.from_asset(str(code_dir)),
        portal_site=PORTAL_SITE,
        synth_time=synth_time or SYSTEM_CLOCK.now(),
        # Unset offline: the template is then account- and region-agnostic, and deploys anywhere.
        env=Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
        ),
    )
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()

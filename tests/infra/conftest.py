"""The real stack, synthesized once per test session (a synth takes seconds): every infra test reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

import infra  # noqa: F401  (silences the Node.js banner before aws_cdk loads)
from infra.app import build_app
from infra.bundle import REPO_ROOT
from infra.config import StageConfig
from infra.stack import AutomationStack

SYNTH_TIME = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
# Production, so that the stage-dependent protections are what the template shows; the offline synth
# test covers the default stage.
# Dependencies are left out of this asset: tests/infra/test_infra_bundle.py builds and checks the real one.
CONTEXT = {
    "stage": "prod",
    "alertEmail": "ops@devsphere.example",
    "senderEmail": "automation@devsphere.example",
    "bundleDependencies": "false",
}


@dataclass(frozen=True)
class Synthesized:
    app: App
    stack: AutomationStack
    template: Template
    config: StageConfig
    outdir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.to_json()["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: body for name, body in self.resources.items() if body["Type"] == resource_type}

    def named(self, resource_type: str, name_property: str, name: str) -> tuple[str, dict[str, Any]]:
        """The one resource of this type whose name property is `name`: (logical id, properties)."""
        found = [
            (logical_id, body["Properties"])
            for logical_id, body in self.of_type(resource_type).items()
            if body["Properties"].get(name_property) == name
        ]
        assert len(found) == 1, f"expected one {resource_type} named {name}, found {len(found)}"
        return found[0]

    def function(self, name: str) -> tuple[str, dict[str, Any]]:
        """The Lambda function of this catalog or service name: (logical id, properties)."""
        return self.named("AWS::Lambda::Function", "FunctionName", self.config.settings.function_name(name))

    def role_statements(self, function: dict[str, Any]) -> list[dict[str, Any]]:
        """The statements of every IAM policy attached to this function's role."""
        role_id = function["Role"]["Fn::GetAtt"][0]
        return [
            statement
            for body in self.of_type("AWS::IAM::Policy").values()
            if {"Ref": role_id} in body["Properties"]["Roles"]
            for statement in body["Properties"]["PolicyDocument"]["Statement"]
        ]

    def statements(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every IAM policy statement of the template, with the logical id of its policy or role."""
        for logical_id, body in self.resources.items():
            properties = body.get("Properties", {})
            if body["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents = [properties["PolicyDocument"]]
            elif body["Type"] == "AWS::IAM::Role":
                documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
            else:
                continue
            for document in documents:
                for statement in document["Statement"]:
                    yield logical_id, statement

    @property
    def nag_report(self) -> dict[str, Any]:
        report = json.loads((self.outdir / "validation-report.json").read_text())
        (plugin,) = [entry for entry in report["pluginReports"] if entry["pluginName"] == "AwsSolutions"]
        return plugin


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    root = tmp_path_factory.mktemp("synth")
    outdir = root / "cdk.out"
    app, stack = build_app(CONTEXT, outdir=str(outdir), bundle_dir=root / "lambda", synth_time=SYNTH_TIME)
    # Synthesizes the whole app, cdk-nag included: any unacknowledged finding fails here.
    template = Template.from_stack(stack)
    yield Synthesized(app, stack, template, StageConfig.from_context(app.node), outdir)


@dataclass(frozen=True)
class OfflineSynth:
    """`python -m infra.app` run as an operator would, with no AWS credentials: the default (dev) stage."""

    result: subprocess.CompletedProcess[str]
    template: dict[str, Any]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: body for name, body in self.template["Resources"].items() if body["Type"] == resource_type
        }


@pytest.fixture(scope="session")
def offline_synth(tmp_path_factory: pytest.TempPathFactory) -> OfflineSynth:
    root = tmp_path_factory.mktemp("offline")
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "CDK_"))}
    environment |= {
        "AWS_CONFIG_FILE": str(root / "missing"),
        "AWS_SHARED_CREDENTIALS_FILE": str(root / "missing"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_OUTDIR": str(root / "cdk.out"),
        # How the cdk CLI hands `-c bundleDependencies=false` to the app.
        "CDK_CONTEXT_JSON": json.dumps({"bundleDependencies": "false"}),
    }
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((root / "cdk.out" / "devsphere-automation.template.json").read_text())
    return OfflineSynth(result, template)

"""The stack passes cdk-nag's AWS Solutions checks and cfn-lint, and synthesizes with no AWS account."""

from __future__ import annotations

import json

from aws_cdk import Validations
from cfnlint.api import lint


def test_given_the_aws_solutions_checks_when_synthesized_then_no_finding_is_left_unacknowledged(synthesized):
    report = synthesized.nag_report

    assert report["conclusion"] == "success"
    assert report["violations"] == []
    assert report["suppressedViolations"], "the checks did not run"


def test_given_each_acknowledged_finding_when_reported_then_it_carries_a_reason(synthesized):
    for violation in synthesized.nag_report["suppressedViolations"]:
        assert len(violation["reason"].split()) >= 5, violation["acknowledgedId"]


def test_given_each_acknowledgment_when_synthesized_then_it_still_matches_a_finding(synthesized):
    used = {
        (v["acknowledgedAt"], v["acknowledgedId"]) for v in synthesized.nag_report["suppressedViolations"]
    }
    made = {
        (node.node.path, rule)
        for node in synthesized.app.node.find_all()
        for entry in node.node.metadata
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule in entry.data
        if rule.startswith("AwsSolutions::")
    }

    assert made, "no acknowledgment found"
    assert made <= used, f"acknowledgments that match nothing: {sorted(made - used)}"


def test_given_the_template_when_cfn_lint_checks_it_then_it_reports_no_error(synthesized):
    matches = lint(json.dumps(synthesized.template.to_json()), regions=["eu-west-2"])

    errors = [
        f"{match.rule.id} {match.message} ({match.path})"
        for match in matches
        if match.rule.id.startswith("E")
    ]
    assert errors == []


def test_given_no_aws_credentials_when_the_app_runs_then_it_synthesizes_the_default_stage(offline_synth):
    tables = offline_synth.of_type("AWS::DynamoDB::Table")

    assert tables and all(body["DeletionPolicy"] == "Delete" for body in tables.values())
    assert "end-of-life" not in offline_synth.result.stderr

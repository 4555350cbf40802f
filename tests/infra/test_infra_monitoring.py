"""Every way a job can fail or not run raises an alarm, on the metrics the code really emits."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match, Template

from functions.catalog import CATALOG
from functions.data.vocabulary import FINISHED_STATUSES
from functions.observability import METRICS_NAMESPACE
from infra.config import StageConfig
from infra.constructs.monitoring import RUN_OUTCOME_METRICS, Monitoring

Metric = tuple[str, str, frozenset[tuple[str, str]]]


def _alarms(synthesized) -> list[dict[str, Any]]:
    return [body["Properties"] for body in synthesized.of_type("AWS::CloudWatch::Alarm").values()]


def _custom_metric(alarm: dict[str, Any]) -> Metric:
    dimensions = frozenset((d["Name"], d["Value"]) for d in alarm["Dimensions"])
    return alarm["Namespace"], alarm["MetricName"], dimensions


def _alarmed(synthesized, namespace: str, metric: str, dimension: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        alarm
        for alarm in _alarms(synthesized)
        if alarm.get("Namespace") == namespace
        and alarm["MetricName"] == metric
        and dimension.items() <= {d["Name"]: d["Value"] for d in alarm["Dimensions"]}.items()
    ]


def test_given_each_job_when_synthesized_then_failures_timeouts_lateness_and_errors_page(synthesized):
    (topic_id,) = synthesized.of_type("AWS::SNS::Topic")

    for job in CATALOG:
        function_id, _ = synthesized.named(
            "AWS::Lambda::Function", "FunctionName", synthesized.config.settings.function_name(job.name)
        )
        for metric in ("RunsFailed", "RunsTimedOut", "HealthLate"):
            (alarm,) = _alarmed(synthesized, METRICS_NAMESPACE, metric, {"job": job.name})
            assert alarm["AlarmActions"] == [{"Ref": topic_id}], (job.name, metric)
        (errors,) = _alarmed(synthesized, "AWS/Lambda", "Errors", {"FunctionName": {"Ref": function_id}})
        assert errors["AlarmActions"] == [{"Ref": topic_id}]


def test_given_every_dead_letter_queue_when_a_message_lands_then_an_alarm_pages(synthesized):
    (topic_id,) = synthesized.of_type("AWS::SNS::Topic")

    for queue_id in synthesized.of_type("AWS::SQS::Queue"):
        dimension = {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}}
        (alarm,) = _alarmed(synthesized, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dimension)
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_given_the_alert_topic_when_synthesized_then_it_is_encrypted_ssl_only_and_mails_the_operators(
    synthesized,
):
    ((topic_id, topic),) = synthesized.of_type("AWS::SNS::Topic").items()
    ((key_id, key),) = synthesized.of_type("AWS::KMS::Key").items()
    ((_, subscription),) = synthesized.of_type("AWS::SNS::Subscription").items()

    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    assert "cloudwatch.amazonaws.com" in json.dumps(key["Properties"]["KeyPolicy"])
    assert subscription["Properties"] == {
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
        "Endpoint": "ops@devsphere.example",
    }
    policies = [body["Properties"] for body in synthesized.of_type("AWS::SNS::TopicPolicy").values()]
    assert any("aws:SecureTransport" in json.dumps(policy["PolicyDocument"]) for policy in policies)


def test_given_the_dashboard_when_synthesized_then_each_job_shows_runs_failures_and_duration(synthesized):
    ((_, dashboard),) = synthesized.of_type("AWS::CloudWatch::Dashboard").items()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    for job in CATALOG:
        for title in ("runs", "failures", "duration (ms)"):
            assert f"{job.name}: {title}" in body
    assert all(metric in body for metric in RUN_OUTCOME_METRICS)


def _emitted(output: str) -> set[Metric]:
    emitted = set()
    for line in output.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for names in directive["Dimensions"]:
                dimensions = frozenset((name, document[name]) for name in names)
                for metric in directive["Metrics"]:
                    emitted.add((directive["Namespace"], metric["Name"], dimensions))
    return emitted


def test_given_the_runner_and_watchdog_when_they_emit_then_every_alarmed_metric_is_one_they_write(
    synthesized, run_log, clock, capsys, monkeypatch
):
    from functions.lifecycle.runner import record_run_metrics
    from functions.lifecycle.watchdog import watch
    from functions.observability import metrics

    _, watchdog = synthesized.named(
        "AWS::Lambda::Function", "FunctionName", synthesized.config.settings.function_name("watchdog")
    )
    monkeypatch.setenv(
        "POWERTOOLS_SERVICE_NAME", watchdog["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    )

    class Alerts:
        def publish(self, subject: str, body: dict[str, Any]) -> None:
            pass

    watch(CATALOG, run_log, Alerts(), clock.now())
    for job in CATALOG:
        for status in FINISHED_STATUSES:
            metrics.add_dimension(name="job", value=job.name)
            record_run_metrics(status, {"failed": 1}, 1200)
            metrics.flush_metrics()

    emitted = _emitted(capsys.readouterr().out)
    alarmed = {
        _custom_metric(alarm) for alarm in _alarms(synthesized) if alarm.get("Namespace") == METRICS_NAMESPACE
    }
    assert alarmed, "no alarm on a custom metric"
    assert alarmed <= emitted, alarmed - emitted
    for job in CATALOG:
        for name in [*RUN_OUTCOME_METRICS[:-1], "ItemsFailed", "RunDuration"]:
            assert any(metric[1] == name and ("job", job.name) in metric[2] for metric in emitted), name


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["Statement"]


def test_given_the_alert_topic_policy_when_cloudwatch_publishes_then_only_this_stacks_alarms_may(synthesized):
    ((topic_id, _),) = synthesized.of_type("AWS::SNS::Topic").items()
    ((_, policy),) = synthesized.of_type("AWS::SNS::TopicPolicy").items()
    statements = _statements(policy["Properties"]["PolicyDocument"])

    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": topic_id}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":cloudwatch:" in source_arn and f":alarm:{synthesized.config.prefix}-*" in source_arn
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*"
    # Every alarm's name falls under the ARN pattern the policy allows.
    assert all(
        alarm["AlarmName"].startswith(f"{synthesized.config.prefix}-") for alarm in _alarms(synthesized)
    )


def test_given_the_alert_key_when_cloudwatch_publishes_then_its_policy_lets_cloudwatch_use_it(synthesized):
    ((_, key),) = synthesized.of_type("AWS::KMS::Key").items()

    (statement,) = [
        s
        for s in _statements(key["Properties"]["KeyPolicy"])
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert statement["Effect"] == "Allow"
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_given_every_alarm_when_it_fires_or_recovers_then_the_alert_topic_hears_both(synthesized):
    (topic_id,) = synthesized.of_type("AWS::SNS::Topic")

    alarms = _alarms(synthesized)
    assert alarms
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], alarm["AlarmName"]
        assert alarm["OKActions"] == [{"Ref": topic_id}], alarm["AlarmName"]


def test_given_every_function_when_lambda_throttles_it_then_an_alarm_pages(synthesized):
    functions = synthesized.of_type("AWS::Lambda::Function")
    ours = [
        name for name, body in functions.items() if body["Properties"]["Handler"].startswith("functions.")
    ]

    assert len(ours) >= 7
    for function_id in ours:
        (alarm,) = _alarmed(synthesized, "AWS/Lambda", "Throttles", {"FunctionName": {"Ref": function_id}})
        assert alarm["Threshold"] == 1 and alarm["Statistic"] == "Sum"


def test_given_the_schedule_group_when_scheduler_fails_to_deliver_a_tick_then_an_alarm_pages(synthesized):
    group = synthesized.config.settings.schedule_group
    synthesized.named("AWS::Scheduler::ScheduleGroup", "Name", group)

    for metric in ("TargetErrorCount", "InvocationThrottleCount", "InvocationDroppedCount"):
        (alarm,) = _alarmed(synthesized, "AWS/Scheduler", metric, {"ScheduleGroup": group})
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["Threshold"] == 1


def test_given_several_alert_addresses_when_synthesized_then_each_is_subscribed():
    # The alert topic alone, in a stack of its own: a second synth of the whole app would cost seconds.
    stack = Stack(App(), "Alerts")
    config = StageConfig.from_context(
        App(context={"alertEmail": "ops@devsphere.example, oncall@devsphere.example"}).node
    )
    Monitoring(stack, "Monitoring", config=config)

    subscriptions = Template.from_stack(stack).find_resources("AWS::SNS::Subscription")
    assert sorted(body["Properties"]["Endpoint"] for body in subscriptions.values()) == [
        "oncall@devsphere.example",
        "ops@devsphere.example",
    ]
    assert all(body["Properties"]["Protocol"] == "email" for body in subscriptions.values())


def test_given_no_alert_address_when_synthesized_then_the_deploy_warns_that_nobody_is_paged():
    stack = Stack(App(), "Alerts")
    Monitoring(stack, "Monitoring", config=StageConfig.from_context(App().node))

    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("No alertEmail"))
    assert not Template.from_stack(stack).find_resources("AWS::SNS::Subscription")

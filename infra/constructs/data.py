"""The tables, built from the pynamodb models that use them, and the reports bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct
from pynamodb.attributes import Attribute
from pynamodb.indexes import GlobalSecondaryIndex, Index, LocalSecondaryIndex
from pynamodb.models import Model

from functions.data.models import JOURNAL_MODELS, RUN_LOG_MODELS
from functions.data.schema import TABLE_MODELS
from functions.settings import DEFAULT_PREFIX
from infra.config import StageConfig

READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
# No DeleteItem or BatchWriteItem: no function deletes (the TTL expires old runs) and only the importer,
# which runs with an operator's credentials, writes in batches.
WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}


def _key(attribute: Attribute[Any]) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=attribute.attr_name, type=_ATTRIBUTE_TYPES[attribute.attr_type])


def _index_keys(index: Index[Any]) -> tuple[dynamodb.Attribute, dynamodb.Attribute | None]:
    attributes = index.Meta.attributes.values()
    partition = next(attribute for attribute in attributes if attribute.is_hash_key)
    sort = next((attribute for attribute in attributes if attribute.is_range_key), None)
    return _key(partition), _key(sort) if sort else None


@dataclass(frozen=True)
class TableSpec:
    """What one model declares about its physical table, and the variable the model reads its name from."""

    model: type[Model]

    @property
    def suffix(self) -> str:
        name: str = self.model.Meta.table_name
        if not name.startswith(f"{DEFAULT_PREFIX}-"):
            raise ValueError(
                f"{self.model.__name__} names its table '{name}', not '{DEFAULT_PREFIX}-<name>': "
                "unset the *_TABLE_NAME variables before synthesizing"
            )
        return name.removeprefix(f"{DEFAULT_PREFIX}-")

    @property
    def env_var(self) -> str:
        return f"{self.suffix.upper().replace('-', '_')}_TABLE_NAME"

    @property
    def partition_key(self) -> dynamodb.Attribute:
        return _key(self.model._hash_key_attribute())

    @property
    def sort_key(self) -> dynamodb.Attribute | None:
        attribute = self.model._range_key_attribute()
        return _key(attribute) if attribute else None

    @property
    def indexes(self) -> list[Index[Any]]:
        return list(self.model._indexes.values())

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.model._ttl_attribute()
        return ttl.attr_name if ttl else None


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.specs = {model: TableSpec(model) for model in TABLE_MODELS}
        self.tables = {model: self._table(config, spec) for model, spec in self.specs.items()}
        self.access_logs = self._access_log_bucket(config)
        self.reports = s3.Bucket(
            self,
            "Reports",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="reports/",
            # A report is linked from an email; it is kept as long as the run history that produced it.
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(config.retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=config.removal_policy,
            auto_delete_objects=not config.is_production,
        )

    @property
    def run_log_models(self) -> list[type[Model]]:
        return [model for model in self.tables if model in RUN_LOG_MODELS]

    @property
    def journal_models(self) -> list[type[Model]]:
        return [model for model in self.tables if model in JOURNAL_MODELS]

    @property
    def platform_models(self) -> list[type[Model]]:
        return [model for model in self.tables if model not in RUN_LOG_MODELS + JOURNAL_MODELS]

    def environment(self, models: list[type[Model]]) -> dict[str, str]:
        """The variables the given models read their table names from."""
        return {self.specs[model].env_var: self.tables[model].table_name for model in models}

    def grant(self, role: iam.IRole, models: list[type[Model]], *, write: bool) -> None:
        """Item-level access to exactly these tables and their indexes; never `dynamodb:*`."""
        for model in models:
            table = self.tables[model]
            indexes = [
                f"{table.table_arn}/index/{index.Meta.index_name}" for index in self.specs[model].indexes
            ]
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(READ_ACTIONS), resources=[table.table_arn, *indexes])
            )
            if write:
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=list(WRITE_ACTIONS), resources=[table.table_arn])
                )

    def _table(self, config: StageConfig, spec: TableSpec) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.model.__name__,
            table_name=config.name(spec.suffix),
            partition_key=spec.partition_key,
            sort_key=spec.sort_key,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=config.is_production,
            removal_policy=config.removal_policy,
        )
        for index in spec.indexes:
            partition, sort = _index_keys(index)
            projection = index.Meta.projection
            options: dict[str, Any] = {
                "index_name": index.Meta.index_name,
                "sort_key": sort,
                "projection_type": _PROJECTIONS[projection.projection_type],
                "non_key_attributes": projection.non_key_attributes,
            }
            if isinstance(index, GlobalSecondaryIndex):
                table.add_global_secondary_index(partition_key=partition, **options)
            elif isinstance(index, LocalSecondaryIndex):
                if sort is None:
                    raise ValueError(f"local index {index.Meta.index_name} needs a sort key")
                table.add_local_secondary_index(**{**options, "sort_key": sort})
        return table

    def _access_log_bucket(self, config: StageConfig) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront's standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.retention_days))],
            removal_policy=config.removal_policy,
            auto_delete_objects=not config.is_production,
        )
        return bucket

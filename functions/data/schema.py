"""The physical tables, one model per table: infra, the local runtime and the tests create them from here."""

from __future__ import annotations

from pynamodb.models import Model

from functions.data.models import JobStateModel, JournalModel, RunModel
from functions.data.platform import PlatformItem

# One representative model per table (several item kinds may share a table).
TABLE_MODELS: list[type[Model]] = [RunModel, JobStateModel, JournalModel, PlatformItem]


def create_tables() -> None:
    for model in TABLE_MODELS:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)

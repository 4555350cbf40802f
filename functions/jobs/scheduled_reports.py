"""Lambda entry point of the scheduled-reports job (the work: functions.automations.scheduled_reports)."""

from functions.automations.scheduled_reports import work
from functions.lifecycle.runner import job_handler

handler = job_handler("scheduled-reports", work)

"""Lambda entry point of the renewal-reminders job (the work: functions.automations.renewal_reminders)."""

from functions.automations.renewal_reminders import work
from functions.lifecycle.runner import job_handler

handler = job_handler("renewal-reminders", work)

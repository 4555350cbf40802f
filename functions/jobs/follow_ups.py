"""Lambda entry point of the follow-ups job; the work lives in functions.automations.follow_ups."""

from functions.automations.follow_ups import work
from functions.lifecycle.runner import job_handler

handler = job_handler("follow-ups", work)

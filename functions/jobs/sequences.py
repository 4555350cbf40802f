"""Lambda entry point of the sequences job; the work lives in functions.automations.sequences."""

from functions.automations.sequences import work
from functions.lifecycle.runner import job_handler

handler = job_handler("sequences", work)

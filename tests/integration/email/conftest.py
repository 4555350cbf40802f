"""The email tests run on the job tests' platform: moto with the tables, a verified sender, the bucket."""

from tests.integration.jobs.conftest import invoker, platform

__all__ = ["invoker", "platform"]

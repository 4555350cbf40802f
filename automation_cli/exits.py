"""Exit codes a script can branch on, and the one error type every command raises to reach them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_SIGNED_IN = 3
    FORBIDDEN = 4
    NOT_FOUND = 5
    REFUSED = 6
    UNREACHABLE = 7
    PARTIAL = 10
    FAILED = 11
    TIMED_OUT = 12
    WAIT_TIMEOUT = 13
    INTERRUPTED = 130


# Shown in `automation --help` and mirrored in the README; one line per code.
EXIT_CODE_HELP = {
    ExitCode.OK: "success (with --wait: the run SUCCEEDED)",
    ExitCode.ERROR: "unexpected error (the API answered 5xx or something unreadable)",
    ExitCode.USAGE: "wrong usage or input the API rejected (422), or a missing setting",
    ExitCode.NOT_SIGNED_IN: "not signed in, session ended or sign-in failed: run `automation login`",
    ExitCode.FORBIDDEN: "signed in but not allowed (403): you need the admin or ceo group",
    ExitCode.NOT_FOUND: "unknown job or run",
    ExitCode.REFUSED: "refused: a run of the job is already in flight (409), or the run was SKIPPED",
    ExitCode.UNREACHABLE: "the API or Cognito could not be reached",
    ExitCode.PARTIAL: "with --wait: the run ended PARTIAL (some items failed)",
    ExitCode.FAILED: "with --wait: the run ended FAILED",
    ExitCode.TIMED_OUT: "with --wait: the run ended TIMED_OUT (Lambda stopped it)",
    ExitCode.WAIT_TIMEOUT: "with --wait: the run had not finished within --timeout (it goes on)",
    ExitCode.INTERRUPTED: "interrupted with Ctrl-C (a started run goes on)",
}


class CliError(Exception):
    """A failure the user can act on: `message` says what happened, `hint` what to do next."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint

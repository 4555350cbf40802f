"""Turning a failure into the error a run records, naming its cause rather than the wrapper that reported it.

An exception raised by our data layer usually wraps a library error (a StorageError around a pynamodb
error around botocore's ClientError); the reader needs the root cause and the line of our code that
made the failing call, not `data/errors.py` where the wrapper was raised. So the recorded error keeps:
- `message`: what our code said, plus the root cause's type and message when they differ;
- `where`: the innermost frame of our code, outside the wrapping helpers, on the root cause's path;
- `stack`: the whole chain first (outermost to root), then our frames, then the library frames.
"""

from __future__ import annotations

import re
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from functions.data.run_types import RunError

MAX_MESSAGE = 2000
MAX_STACK = 6000
MAX_FRAMES = 15
MAX_CHAIN = 8
REASON_GROUPS_SHOWN = 3
SAMPLE_KEYS = 3

_PROJECT = str(Path(__file__).resolve().parents[2]) + "/"
# In Lambda the libraries sit beside `functions/` in the code package, so "ours" is by top folder.
_OUR_FOLDERS = ("functions/", "local/", "tests/")
# Code that only translates, re-raises or dispatches: pointing at it sends the reader to the wrong place.
_WRAPPERS = ("functions/data/errors.py", "functions/lifecycle/runner.py")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def exception_chain(error: BaseException) -> list[BaseException]:
    """Outermost first, root cause last; `raise ... from` and implicit context both count."""
    chain = [error]
    current = error
    while len(chain) < MAX_CHAIN:
        following = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if following is None or following in chain:
            break
        chain.append(following)
        current = following
    return chain


def _is_ours(frame: traceback.FrameSummary) -> bool:
    name = frame.filename
    return name.startswith(_PROJECT) and name.removeprefix(_PROJECT).startswith(_OUR_FOLDERS)


def _is_wrapper(frame: traceback.FrameSummary) -> bool:
    return any(frame.filename.endswith(wrapper) for wrapper in _WRAPPERS)


def _place(frame: traceback.FrameSummary) -> str:
    return f"{_short_path(frame.filename)}:{frame.lineno} in {frame.name}"


def _short_path(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.rsplit("site-packages/", 1)[-1]
    return filename.removeprefix(_PROJECT).removeprefix("functions/")


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(error.__traceback__))


def _where(chain: Sequence[BaseException]) -> str | None:
    """The innermost frame of our code that is not a wrapper, searched from the root cause outwards."""
    for error in reversed(chain):
        for frame in reversed(_frames(error)):
            if _is_ours(frame) and not _is_wrapper(frame):
                return _place(frame)
    for error in reversed(chain):
        unwrapped = [frame for frame in _frames(error) if not _is_wrapper(frame)]
        if unwrapped:
            return _place(unwrapped[-1])
    return None


def _headline(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _message(chain: Sequence[BaseException]) -> str:
    outer, root = chain[0], chain[-1]
    text = str(outer) or type(outer).__name__
    if root is not outer:
        cause = str(root)
        if not cause or cause not in text:
            text = f"{text} (caused by {_headline(root)})"
    return text


def _frame_lines(frames: Iterable[traceback.FrameSummary]) -> list[str]:
    lines = []
    for frame in frames:
        lines.append(f"  {_place(frame)}")
        if frame.line:
            lines.append(f"      {frame.line.strip()}")
    return lines


def readable_stack(chain: Sequence[BaseException]) -> str:
    """The chain, then our frames (innermost last), then library frames: the lines that matter come first."""
    lines = [_headline(chain[0])]
    lines += [f"caused by {_headline(error)}" for error in chain[1:]]
    ours: list[traceback.FrameSummary] = []
    others: list[traceback.FrameSummary] = []
    for error in reversed(chain):
        for frame in _frames(error)[-MAX_FRAMES:]:
            target = ours if _is_ours(frame) and not _is_wrapper(frame) else others
            if frame not in target:
                target.append(frame)
    if ours:
        lines += ["", "Our code (innermost last):", *_frame_lines(ours)]
    if others:
        lines += ["", "Libraries and wrappers (innermost last):", *_frame_lines(others)]
    return "\n".join(lines)


def describe_exception(error: BaseException) -> RunError:
    chain = exception_chain(error)
    stack = readable_stack(chain)
    if len(stack) > MAX_STACK:
        stack = stack[: MAX_STACK - 20] + "\n… (stack trimmed)"
    return RunError(
        type=type(error).__name__,
        message=_message(chain)[:MAX_MESSAGE],
        stack=stack,
        where=_where(chain),
    )


# --- failed items ------------------------------------------------------------------------------


def _reason_kind(reason: str) -> str:
    """One group per cause: the addresses in SES rejections differ per item, the cause does not."""
    return _ADDRESS.sub("<address>", reason).strip()


def failures_by_reason(item_errors: Sequence[dict[str, str]]) -> list[dict[str, object]]:
    """Failed items grouped by cause, most frequent first, each with a few example keys."""
    counts = Counter(_reason_kind(error["reason"]) for error in item_errors)
    examples: dict[str, list[str]] = {}
    for error in item_errors:
        keys = examples.setdefault(_reason_kind(error["reason"]), [])
        if len(keys) < SAMPLE_KEYS:
            keys.append(error["key"])
    return [
        {"reason": reason, "count": count, "keys": examples[reason]} for reason, count in counts.most_common()
    ]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summarise_item_failures(item_errors: Sequence[dict[str, str]], failed: int | None = None) -> str | None:
    """'4 items failed: 3 for <reason>; 1 for <reason>' — the failed count may exceed the errors kept."""
    total = max(failed or 0, len(item_errors))
    if total == 0:
        return None
    groups = failures_by_reason(item_errors)
    parts = [f"{group['count']} for {group['reason']}" for group in groups[:REASON_GROUPS_SHOWN]]
    if len(groups) > REASON_GROUPS_SHOWN:
        parts.append(f"{_plural(len(groups) - REASON_GROUPS_SHOWN, 'other reason')}")
    summary = f"{_plural(total, 'item')} failed"
    if not parts:
        return summary
    if total > len(item_errors):
        # Only the first item errors are kept on a run: say so rather than let their causes pass for all.
        return f"{summary}; of the first {len(item_errors)} kept: {'; '.join(parts)}"
    return f"{summary}: {'; '.join(parts)}"


def all_items_failed(item_errors: Sequence[dict[str, str]], failed: int) -> RunError:
    """The error of a run in which every item failed: the causes by count and which items to read."""
    keys = ", ".join(error["key"] for error in item_errors[:SAMPLE_KEYS])
    more = "…" if len(item_errors) > SAMPLE_KEYS else ""
    summary = summarise_item_failures(item_errors, failed) or f"all {failed} items failed"
    return RunError(
        type="AllItemsFailed",
        message=summary[:MAX_MESSAGE],
        where=f"the run's failed items ({_plural(failed, 'item')}: {keys}{more})" if keys else None,
    )

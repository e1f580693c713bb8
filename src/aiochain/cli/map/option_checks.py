"""`aiochain map` options that only mean something beside another one: given alone, they are
refused in one line instead of being silently ignored (a user who passes --reduce-template
without --split believes the answers were reduced with it)."""

from __future__ import annotations

import argparse

from ..._exceptions import UsageError

# (the option's attribute, its default, its flag, the option it needs, that option's flag)
_NEEDS = (
    ("reduce_template", None, "--reduce-template", "split", "--split"),
    ("split_field", None, "--split-field", "split", "--split"),
    ("overlap", 0, "--overlap", "split", "--split"),
    ("batch_retry", False, "--batch-retry", "batch", "--batch"),
    ("batch_poll", 5.0, "--batch-poll", "batch", "--batch"),
    ("workers", 2, "--workers", "ray", "--ray"),
)


def check_option_pairs(args: argparse.Namespace) -> None:
    """Refuse an option given without the one it works with, and --simulate with a
    --base-url (the simulation is its own server; the URL would be ignored).

    Raises:
        UsageError: naming both options.
    """
    for name, default, flag, needed, needed_flag in _NEEDS:
        value = getattr(args, name, default)
        if value != default and getattr(args, needed, None) in (None, False):
            raise UsageError(
                f"{flag} works with {needed_flag} only; add {needed_flag} or leave it out"
            )
    if getattr(args, "simulate", None) is not None and getattr(args, "base_url", None):
        raise UsageError("--simulate runs its own server: leave out --base-url (or --simulate)")


__all__ = ["check_option_pairs"]

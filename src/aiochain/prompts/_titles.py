"""The title line LangChain prints above each message of a prompt's `pretty_repr`."""

from __future__ import annotations


def title_line(title: str) -> str:
    """`title` centred in a line of 80 `=`, as LangChain titles a message."""
    padded = f" {title} "
    side = "=" * ((80 - len(padded)) // 2)
    return f"{side}{padded}{side}{'=' if len(padded) % 2 else ''}"


__all__ = ["title_line"]

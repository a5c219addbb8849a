r"""The response variants of IFEval's loose accuracy.

Loose accuracy forgives a response for the usual wrappers around an otherwise compliant answer: a
first line such as "Sure, here it is:", a last line such as "Hope this helps!", and markdown
emphasis asterisks. An instruction passes loose if it passes on any variant below. As in the
official ``evaluation_lib``, the variants that drop a line are stripped of surrounding
whitespace, the full response is not, and a variant that is empty or blank never passes (the
scorer checks that, since it also applies to strict scoring).

Examples:
    >>> for variant in response_variants("Sure:\n*Hi*\nBye"):
    ...     print(repr(variant))
    'Sure:\n*Hi*\nBye'
    'Sure:\nHi\nBye'
    '*Hi*\nBye'
    'Sure:\n*Hi*'
    '*Hi*'
    'Hi\nBye'
    'Sure:\nHi'
    'Hi'
"""

from __future__ import annotations


def response_variants(response: str) -> tuple[str, ...]:
    """Return the distinct loose variants of ``response``, the response itself first.

    The official order is: the response, the response without ``*``, then without its first
    line, without its last line, without both, and each of those three without ``*``.
    Duplicates are dropped (keeping the first) since checking a text twice cannot change an
    "any variant passes" verdict.
    """
    lines = response.split("\n")
    without_first = "\n".join(lines[1:]).strip()
    without_last = "\n".join(lines[:-1]).strip()
    without_both = "\n".join(lines[1:-1]).strip()
    variants = (
        response,
        response.replace("*", ""),
        without_first,
        without_last,
        without_both,
        without_first.replace("*", ""),
        without_last.replace("*", ""),
        without_both.replace("*", ""),
    )
    return tuple(dict.fromkeys(variants))

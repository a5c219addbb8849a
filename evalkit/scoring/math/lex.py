r"""Tokens of a normalised LaTeX answer, and the cursor the parser reads them with.

The lexer is deliberately small: it knows numbers, single letters, ``\commands``, operator
characters, ``\text{...}``-like groups (kept whole, their content is prose) and
``\begin{env}`` / ``\end{env}``. It never interprets anything; meaning is the parser's job.
Its cost is linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from evalkit.scoring.math.errors import AnswerSyntaxError

TokenKind = Literal["num", "letter", "cmd", "op", "text", "begin", "end", "eof"]
r"""What a token is: ``num`` digits, ``letter`` one a-z/A-Z, ``cmd`` a backslash command, ``op``
one punctuation character, ``text`` the content of ``\text{}``, ``begin``/``end`` an
environment name."""

TEXT_COMMANDS = frozenset(
    {"text", "textbf", "textit", "textrm", "textnormal", "mbox", "mathrm", "textsf", "texttt"}
)
r"""Commands whose braced argument is prose, not math (``\text{ cm}``, ``\mathrm{Evelyn}``)."""

_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)", re.DOTALL)
_SCI_EXP = re.compile(r"[eE][+-]?\d+")


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit.

    Attributes:
        kind: The token class.
        text: Digits, the letter, the command with its backslash, the operator character, the
            prose of a text group, or an environment name.
        sci: For ``num`` written as ``1.5e3``: the exponent text (``"3"``), else ``""``.
    """

    kind: TokenKind
    text: str
    sci: str = ""


def match_brace(src: str, start: int) -> int | None:
    r"""Return the index just after the ``}`` closing the ``{`` at ``src[start]``, or ``None``.

    Escaped braces (``\{``, ``\}``) do not count: they are literal set braces in LaTeX.
    """
    depth = 0
    i = start
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def brace_pairs(src: str) -> dict[int, int]:
    r"""Map the index of every balanced ``{`` to the index just after its ``}``, in one pass.

    Same rules as :func:`match_brace` (escaped braces do not count); linear in ``src``, so
    callers looking at many groups of an untrusted text never rescan it.
    """
    pairs: dict[int, int] = {}
    opened: list[int] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            opened.append(i)
        elif ch == "}" and opened:
            pairs[opened.pop()] = i + 1
        i += 1
    return pairs


def _braced(src: str, start: int) -> tuple[str, int]:
    """Return the content of the brace group opening at ``src[start]`` and the index after it."""
    end = match_brace(src, start)
    if end is None:
        raise AnswerSyntaxError("unbalanced braces")
    return src[start + 1 : end - 1], end


def _skip_space(src: str, i: int) -> int:
    while i < len(src) and src[i].isspace():
        i += 1
    return i


def _command_token(src: str, i: int) -> tuple[Token, int]:
    """Lex the command at ``src[i]`` (a backslash), with the group it owns if any."""
    match = _COMMAND.match(src, i)
    if match is None:
        raise AnswerSyntaxError("dangling backslash")
    name = match.group()[1:]
    end = match.end()
    if name in TEXT_COMMANDS or name in ("begin", "end"):
        brace = _skip_space(src, end)
        if brace >= len(src) or src[brace] != "{":
            raise AnswerSyntaxError(f"\\{name} without a group")
        body, end = _braced(src, brace)
        if name in TEXT_COMMANDS:
            return Token("text", body), end
        return Token("begin" if name == "begin" else "end", body.strip()), end
    return Token("cmd", "\\" + name), end


def _number_token(src: str, i: int) -> tuple[Token, int] | None:
    match = _NUMBER.match(src, i)
    if match is None:
        return None
    end = match.end()
    sci = _SCI_EXP.match(src, end)
    # "2e" followed by digits is scientific notation only straight after a number.
    if sci is not None:
        return Token("num", match.group(), sci.group()[1:]), sci.end()
    return Token("num", match.group()), end


def tokenize(src: str) -> list[Token]:
    """Split a normalised answer into tokens, ending with an ``eof`` token.

    Raises:
        AnswerSyntaxError: On unbalanced text groups or a dangling backslash.
    """
    tokens: list[Token] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "\\":
            token, i = _command_token(src, i)
        elif ch.isdigit() or ch == ".":
            found = _number_token(src, i)
            if found is None:
                token, i = Token("op", ch), i + 1
            else:
                token, i = found
        elif ch.isascii() and ch.isalpha():
            token, i = Token("letter", ch), i + 1
        else:
            token, i = Token("op", ch), i + 1
        tokens.append(token)
    tokens.append(Token("eof", ""))
    return tokens


class Cursor:
    r"""A read position over a token list, with one-digit splitting for macro arguments.

    LaTeX reads ``\frac12`` as ``\frac{1}{2}`` and ``x^23`` as ``x^{2}3``: a macro argument
    that is not a group is one character. :meth:`take_argument_digit` splits a number token
    so the parser can follow that rule.
    """

    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0

    @property
    def peek(self) -> Token:
        """The next token (``eof`` at the end)."""
        return self._tokens[self._pos]

    @property
    def previous(self) -> Token:
        """The last token read (``eof`` before the first)."""
        return self._tokens[self._pos - 1] if self._pos else self._tokens[-1]

    def peek_at(self, offset: int) -> Token:
        """The token ``offset`` places ahead (``eof`` past the end)."""
        index = min(self._pos + offset, len(self._tokens) - 1)
        return self._tokens[index]

    def advance(self) -> Token:
        """Consume and return the next token."""
        token = self._tokens[self._pos]
        if token.kind != "eof":
            self._pos += 1
        return token

    def at(self, kind: TokenKind, text: str | None = None) -> bool:
        """Whether the next token has ``kind`` (and ``text`` when given)."""
        token = self.peek
        return token.kind == kind and (text is None or token.text == text)

    def accept(self, kind: TokenKind, text: str | None = None) -> bool:
        """Consume the next token if it matches; return whether it did."""
        if self.at(kind, text):
            self.advance()
            return True
        return False

    def expect(self, kind: TokenKind, text: str | None = None) -> Token:
        """Consume the next token, which must match.

        Raises:
            AnswerSyntaxError: When it does not.
        """
        if not self.at(kind, text):
            raise AnswerSyntaxError(f"expected {text or kind}, got {self.peek.text!r}")
        return self.advance()

    def take_argument_digit(self) -> None:
        """If the next token is a multi-digit number, split off its first digit in place."""
        token = self.peek
        if token.kind == "num" and len(token.text) > 1 and not token.sci:
            head, rest = token.text[0], token.text[1:]
            if head.isdigit():
                self._tokens[self._pos : self._pos + 1] = [Token("num", head), Token("num", rest)]

    def is_integer_literal(self, start: int) -> bool:
        """Whether the tokens read since ``start`` are one integer numeral, maybe negated."""
        read = self._tokens[start : self._pos]
        if read and read[0].kind == "op" and read[0].text == "-":
            read = read[1:]
        return len(read) == 1 and read[0].kind == "num" and read[0].text.isdigit()

    @property
    def position(self) -> int:
        """Index of the next token (to rewind after a failed lookahead)."""
        return self._pos

    def rewind(self, position: int) -> None:
        """Return to an earlier :attr:`position`."""
        self._pos = position

r"""Reading the number a short statement commits to: a marker's sentence, a box, a closing sentence.

This module owns the number grammar (currency, thousands separators, fractions, mixed numbers,
"1.25 million"), the :class:`Answer` value, and which number of a statement is its answer;
finding the statement inside a response is :mod:`evalkit.scoring.numeric.extract`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

_MAX_DIGITS = 120  # longer digit runs are degenerate repetition, never a real answer
_CURRENCY = "$€£¥₹"
_SIGNED = rf"(?:(?P<neg>negative)[ \t]+)?(?P<sign>-)?(?P<cur>[{_CURRENCY}])?[ \t]?(?P<sign2>-)?"
_PLAIN = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
_FRACTION = r"\d+/\d+(?![\d/])"
_MULT = r"(?:(?P<mult>[ \t]*(?i:thousand|million|billion)|k)\b)?"
_START = r"(?<![A-Za-z0-9_.^/])"  # not inside a word, a decimal, an exponent or a fraction
_ORDINAL = r"(?!(?:st|nd|rd|th)\b)"
SCAN = re.compile(rf"{_START}{_SIGNED}(?P<num>{_FRACTION}|{_PLAIN}){_ORDINAL}{_MULT}")
# Read inside an answer statement: also "1 250" (space-grouped) and "1 1/2" (mixed number).
_LOOSE = re.compile(
    rf"{_START}{_SIGNED}(?P<num>\d+ \d+/\d+(?![\d/])|\d{{1,3}}(?: \d{{3}})+(?![\d,.])"
    rf"|{_FRACTION}|{_PLAIN}){_ORDINAL}{_MULT}"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """A numeric answer read from a response.

    Attributes:
        value: The exact value of the number read, or ``None`` for a degenerate digit run.
        written: The number as the response wrote it (``"$1,250.00"``).
        offered: Every value offered in the same breath, in order, when the model hedged
            ("18 or 20"); empty otherwise.
        restated: The same quantity restated in another unit of its kind ("7 hours and 30
            minutes, or 450 minutes" restates 7 as 450); the gold may match either.
    """

    value: Fraction | None
    written: str
    offered: tuple[Fraction | None, ...] = ()
    restated: tuple[Fraction | None, ...] = ()

    @property
    def hedged(self) -> bool:
        """Whether the model offered more than one answer."""
        return bool(self.offered)


def number_value(match: re.Match[str]) -> Fraction | None:
    """The exact value of a number token; ``None`` for a degenerate digit run."""
    num = match["num"]
    if sum(ch.isdigit() for ch in num) > _MAX_DIGITS or re.search(r"/0+$", num):
        return None
    whole = Fraction(0)
    if " " in num and "/" in num:  # mixed number "1 1/2"
        head, num = num.split(" ", 1)
        whole = Fraction(int(head))
    num = num.replace(",", "").replace(" ", "")
    value = whole + Fraction(num)  # "26 billion" stays 26: the gold may count in billions
    return -value if match["neg"] or match["sign"] or match["sign2"] else value


DECOR = re.compile(
    r"(?:[\s*_:#>`({\[$]|\\boxed|\\fbox|(?:therefore|thus|then|simply|just|exactly|about|"
    r"approximately|around|roughly|either|between|likely|probably|maybe|perhaps|now|still|"
    r"that)\b)*",
    re.IGNORECASE,
)
_OPERATOR_NEXT = re.compile(rf"[ \t]*%?[ \t]*[-+*/x][ \t]*[{_CURRENCY}(]?[ \t]*\d")
_CONNECTIVE = re.compile(
    r"\b(?:making|makes|giving|gives|total(?:ing|s)?(?: of)?|which is|that is|so|thus|hence|"
    r"therefore|earn(?:s|ing)?|i\.e\.|or)\W*$",
    re.IGNORECASE,
)
_OPERATOR_GAP = re.compile(r"[ \t]*%?[ \t]*[-+*/x][ \t]*")
_PARENTHETICAL = re.compile(r"\([^()\n]{0,200}\)|\[[^\[\]\n]{0,200}\]")
_LAST_NUMBER = re.compile(r"(?<![\d.])(\d{1,12}(?:\.\d{1,12})?|\.\d{1,12})[ \t]*$")
_PERCENT_ASIDE = re.compile(r"[(\[][ \t]*(\d{1,12}(?:\.\d{1,12})?)[ \t]*(?:%|percent)[ \t]*[)\]]")
# "(or 20 if the tip counts)" offers a second answer: its content stays, its brackets go.
_HEDGE_ASIDE = re.compile(r"[(\[][ \t]*(?:or|maybe|perhaps|possibly|alternatively)\b", re.I)
_OR_GAP = re.compile(
    r"[ \t]*%?[ \t]*(?:[A-Za-z]+[ \t]*)?,?[ \t]*\bor\b(?:[ \t]+(?:maybe|perhaps|possibly|even))?"
    r"[ \t]*(?:[A-Za-z]+[ \t]+)?$"
)
# "18, but it could also be 20", "probably 18, maybe 16": a second candidate after a hedge word.
_ALT_GAP = re.compile(
    r"[ \t]*+%?[ \t]*+(?:[A-Za-z]+[ \t]*+)?[,;]?[ \t]*+(?:(?:but|though|although|or)[ \t,]+)?"
    r"(?:(?:it|that|this|the answer)[ \t]+)?"
    r"(?:(?:could|might|may)[ \t]+(?:also[ \t]+|even[ \t]+)?be"
    r"|maybe|perhaps|possibly|alternatively|otherwise)\b[ \t,]*+(?:[A-Za-z]+[ \t]+)?$",
    re.IGNORECASE,
)
# "0.25, or 25%", "1/4 = 25%", "0.25 which is 25 percent": one share written two ways.
_PERCENT_AFTER = re.compile(r"[ \t]*(?:%|percent\b)", re.IGNORECASE)
_SHARE_GAP = re.compile(
    r"[ \t]*+(?:%|percent)?[ \t]*+,?[ \t]*+(?:=|\(|\bor\b|\bi\.e\.,?|\bthat is\b|\bwhich is\b"
    r"|\bequals?\b|\bor about\b)?[ \t]*+",
    re.IGNORECASE,
)
_RANGE_GAP = re.compile(r"[ \t]*%?[ \t]*(?:[A-Za-z]+[ \t]*)?(?:\band\b|\bto\b|-|–|—)[ \t]*$")
_LIST_GAP = re.compile(r"[ \t]*(?:,|\band\b|\bto\b|–|—)[ \t]*$")
_BETWEEN = re.compile(r"\b(?:between|from)[ \t]+$", re.IGNORECASE)
# A trailing modifier of a closing sentence: "$18 every day by selling 9 eggs", "12 marbles left
# after 3 days", "60 miles in 1.5 hours". Its numbers are circumstances, not the result.
_MODIFIER_GAP = re.compile(
    r"[ \t]*%?(?:[ \t]*[A-Za-z'-]+){0,3}[ \t]*,?[ \t]*\b(?i:by|from|after|at|in|over|within|"
    r"during|per|on|before|across|until)(?:[ \t]+[A-Za-z'-]+){0,2}[ \t]+"
)
# A clause boundary or a result cue ends a modifier; a gap holding one never starts a modifier.
_CLAUSE = re.compile(
    r"[,;:=]|\b(?:and|is|are|was|were|be|has|have|had|total|totals|totaling|which|that|so|thus|"
    r"then|making|giving|gives|makes|equals|leaves|leaving|plus|minus|times)\b",
    re.IGNORECASE,
)
_COMPARED = re.compile(
    r"[ \t]*%?[ \t]*(?:[A-Za-z]+[ \t]+)?(?:more|fewer|less|greater|smaller|higher|lower|larger|"
    r"older|younger|longer|shorter|cheaper|extra)[ \t]+than\b",
    re.IGNORECASE,
)
# A number the closing sentence measures against or rules out: "18 out of 20", "18 of the 30
# apples", "12 fewer than his original 30", "18 cookies, not 20".
_DETERMINER = r"(?:the|his|her|their|its|my|our|your|all|those|these)"
_REFERENCE = re.compile(
    rf"\b(?:(?:out[ \t]+of|than|instead[ \t]+of|compared[ \t]+(?:to|with)|rather[ \t]+than)"
    rf"(?:[ \t]+{_DETERMINER})?|of[ \t]+{_DETERMINER})(?:[ \t]+[A-Za-z'-]+)?[ \t]*[$€£]?$"
    r"|\bnot[ \t]*[$€£]?$",
    re.IGNORECASE,
)
_UNIT_FAMILIES = (
    "second seconds sec secs minute minutes min mins hour hours hr hrs day days week weeks month "
    "months year years",
    "dollar dollars cent cents",
    "inch inches foot feet ft yard yards mile miles meter meters metre metres centimeter "
    "centimeters cm kilometer kilometers km",
    "ounce ounces oz pound pounds lb lbs gram grams kilogram kilograms kg ton tons",
    "cup cups pint pints quart quarts gallon gallons liter liters litre litres milliliter "
    "milliliters ml",
)
_UNIT_KIND = {unit: kind for kind, units in enumerate(_UNIT_FAMILIES) for unit in units.split()}
_UNIT_AFTER = re.compile(r"[ \t]*([A-Za-z]+)")
_RESTATE_GAP = re.compile(
    r"[ \t]*[A-Za-z]+[ \t]*,?[ \t]*(?:\bor\b|\bi\.e\.,?|\bthat is\b|\bwhich is\b)[ \t]*"
    r"(?:(?:about|exactly|just|a total of)[ \t]+)?",
    re.IGNORECASE,
)
_COMPOUND_GAP = re.compile(r"[ \t]*[A-Za-z]+[ \t]*,?[ \t]*(?:and)[ \t]*", re.IGNORECASE)

ReadMode = Literal["anchored", "first", "last"]


def read_statement(statement: str, mode: ReadMode) -> Answer | None:
    """Read the answer a short statement gives.

    ``anchored`` (after a marker) needs the number right at the start, past markup; ``first``
    (a box, a bold span) takes the first number or a chain's result ("9 * 2 = 18"); ``last`` (a
    closing sentence) the result of its last "=", else its last number. A second, different
    number offered beside it ("18 or 20", "between 15 and 20") makes the answer hedged; the same
    quantity in another unit ("2 hours, or 120 minutes") is a restatement, not a hedge.

    >>> read_statement(" **$18** per day.", "anchored")
    Answer(value=Fraction(18, 1), written='$18', offered=(), restated=())
    >>> read_statement(" 9 * 2 = 18 dollars", "anchored").value
    Fraction(18, 1)
    >>> read_statement(" 18 or 20.", "anchored").offered
    (Fraction(18, 1), Fraction(20, 1))
    >>> read_statement("So she makes $18 a day by selling 9 eggs at $2 each.", "last").value
    Fraction(18, 1)
    >>> read_statement(" 7 hours and 30 minutes, or 450 minutes.", "anchored").restated
    (Fraction(450, 1),)
    """
    outside = _PARENTHETICAL.sub(_aside, statement)
    if _LOOSE.search(outside):
        statement = outside
    tokens = list(_LOOSE.finditer(statement))
    if not tokens:
        return None
    if mode == "anchored" and DECOR.fullmatch(statement, 0, tokens[0].start()) is None:
        return None
    last = mode == "last"
    index = _closing_index(statement, tokens) if last else _result_index(statement, tokens)
    if index is None:
        return None
    return _answer_at(statement, tokens, index, boxed=not last)


def _aside(match: re.Match[str]) -> str:
    """A parenthetical's replacement: nothing, unless it offers or restates an answer.

    "(or 20)" offers another answer; "0.2 (20%)" restates the number before it as a percent.
    """
    if _HEDGE_ASIDE.match(match[0]):
        return f" {match[0][1:-1]} "
    before = _LAST_NUMBER.search(match.string, max(0, match.start() - 40), match.start())
    inside = _PERCENT_ASIDE.fullmatch(match[0])
    if before and inside and Fraction(inside[1]) == 100 * Fraction(before[1]):
        return f", {match[0][1:-1]} "
    return " "


def _closing_index(statement: str, tokens: list[re.Match[str]]) -> int | None:
    """Index of a closing sentence's answer: the result after its last "=", else its last number.

    A later number led in by "making", "so", "for a total of" ... restates the result.
    Without an "=", numbers inside a trailing modifier ("by selling 9 eggs at $2 each", "in 1.5
    hours") or a comparison ("which is 5 fewer than before") are passed over.
    """
    after = _after_equals(statement, tokens)
    if not after:
        end = _last_unmodified(statement, tokens)
        chain = end and _OPERATOR_GAP.fullmatch(
            statement, tokens[end - 1].end(), tokens[end].start()
        )
        return None if chain else end  # "... is 9 * 2" commits to nothing
    index = after[0]
    for i in after[1:]:
        if _CONNECTIVE.search(statement, max(0, tokens[i].start() - 25), tokens[i].start()):
            index = i
    return index


def _last_unmodified(statement: str, tokens: list[re.Match[str]]) -> int:
    """Index of the last number not in a trailing modifier, a comparison or a reference.

    The first number is the fallback: it is never passed over.
    """
    chosen, inside = 0, False
    for i in range(1, len(tokens)):
        gap = statement[tokens[i - 1].end() : tokens[i].start()]
        if _MODIFIER_GAP.fullmatch(gap) and not _CLAUSE.search(gap.lstrip(" \t,")):
            inside = True
        elif _CLAUSE.search(gap) or _OPERATOR_GAP.fullmatch(gap):
            inside = False  # a new clause, or arithmetic on the modifier's numbers
        start = tokens[i].start()
        referred = _REFERENCE.search(statement, max(0, start - 24), start)
        if not inside and not referred and not _COMPARED.match(statement, tokens[i].end()):
            chosen = i
    return chosen


def _result_index(statement: str, tokens: list[re.Match[str]]) -> int | None:
    """Index of the first number, or of the result of the chain it starts ("9 * 2 = 18")."""
    if not _OPERATOR_NEXT.match(statement, tokens[0].end()):
        return 0
    after = _after_equals(statement, tokens)
    return after[0] if after else None  # an expression without its result commits to nothing


def _after_equals(statement: str, tokens: list[re.Match[str]]) -> list[int]:
    equals = statement.rfind("=")
    return [i for i, token in enumerate(tokens) if token.start() > equals >= 0]


def _answer_at(statement: str, tokens: list[re.Match[str]], index: int, *, boxed: bool) -> Answer:
    """Build the answer at ``tokens[index]``, collecting alternatives offered beside it."""
    chosen = tokens[index]
    offered = [chosen]
    if index > 0 and _is_hedge(statement, tokens[index - 1], chosen, boxed=boxed):
        offered.insert(0, tokens[index - 1])
    if index + 1 < len(tokens) and _is_hedge(statement, chosen, tokens[index + 1], boxed=boxed):
        offered.append(tokens[index + 1])
    values = tuple(number_value(token) for token in offered)
    hedged = len(set(values)) > 1
    restated = () if hedged else _share(statement, tokens, index)
    restated = restated or (() if hedged else _restatement(statement, tokens, index))
    return Answer(number_value(chosen), chosen[0].strip(), values if hedged else (), restated)


def _restatement(
    statement: str, tokens: list[re.Match[str]], index: int
) -> tuple[Fraction | None, ...]:
    """The value of the same quantity restated in another unit right after or before it."""
    for near, far in (
        (index, index + 1),
        (index, index + 2),
        (index - 1, index),
        (index - 2, index),
    ):
        if near < 0 or far >= len(tokens) or near == far:
            continue
        head, tail = tokens[near], tokens[far]
        if far - near == 2 and not _COMPOUND_GAP.fullmatch(
            statement, head.end(), tokens[near + 1].start()
        ):
            continue  # only "7 hours and 30 minutes" may stand between
        if _RESTATE_GAP.fullmatch(statement, tokens[far - 1].end(), tail.start()) and _other_unit(
            statement, head, tail
        ):
            return (number_value(tokens[far if near == index else near]),)
    return ()


def _share(statement: str, tokens: list[re.Match[str]], index: int) -> tuple[Fraction | None, ...]:
    """The percent (or the decimal) that restates ``tokens[index]`` right beside it."""
    for near, far in ((index, index + 1), (index - 1, index)):
        if near < 0 or far >= len(tokens):
            continue
        left, right = tokens[near], tokens[far]
        if _same_share(statement, left, right) and _SHARE_GAP.fullmatch(
            statement, left.end(), right.start()
        ):
            return (number_value(right if near == index else left),)
    return ()


def _same_share(statement: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Whether one number is the other written as a percent (0.25 and 25%)."""
    values = number_value(left), number_value(right)
    if values[0] is None or values[1] is None:
        return False
    percent = [bool(_PERCENT_AFTER.match(statement, token.end())) for token in (left, right)]
    if percent == [False, True]:
        return values[1] == 100 * values[0]
    return percent == [True, False] and values[0] == 100 * values[1]


def _other_unit(statement: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Whether two numbers carry different units of one kind ("2 hours", "120 minutes")."""
    units = [_UNIT_AFTER.match(statement, token.end()) for token in (left, right)]
    words = [unit[1].lower() if unit else "" for unit in units]
    kinds = [_UNIT_KIND.get(word) for word in words]
    return kinds[0] is not None and kinds[0] == kinds[1] and words[0] != words[1]


def _is_hedge(statement: str, left: re.Match[str], right: re.Match[str], *, boxed: bool) -> bool:
    """Whether two neighbouring numbers are offered as alternatives to each other."""
    gap = statement[left.end() : right.start()]
    if (left["cur"] is None) != (right["cur"] is None):
        return False  # "9 eggs or $18": two quantities, not two answers
    if _other_unit(statement, left, right) or _same_share(statement, left, right):
        return False  # "2 hours or 120 minutes", "0.25 or 25%": one quantity restated
    between = _RANGE_GAP.match(gap) and _BETWEEN.search(statement, 0, left.start())
    listed = boxed and _LIST_GAP.match(gap) and "=" not in gap
    return bool(_OR_GAP.match(gap) or _ALT_GAP.match(gap) or between or listed)

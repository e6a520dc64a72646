"""The rule that decides a consultation (民决), and its application to the votes: pure, no database.

A rule is two fractions: the turnout (households that voted, of the households in scope) must reach
``turnout``, and the agreeing votes (of all votes cast, abstentions included) must reach ``agree``
— or exceed it, for "more than half" (过半数).  Fractions, compared in integers: "two-thirds of the
households" is met by 2 of 3 and not by 666 of 1,000.

With several alternatives (each an option that agrees), the one with the most votes is adopted when
it alone meets the rule; a tie between the first two adopts none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Rule:
    turnout: Fraction
    agree: Fraction
    strict: bool = False  # agreeing votes must be *more than* ``agree`` (过半数), not at least

    def describe(self) -> str:
        return str(_l("Turnout of at least %(turnout)s of the households in scope; %(more)s %(agree)s of the votes "
                      "cast agreeing.", turnout=fraction_text(self.turnout), agree=fraction_text(self.agree),
                      more=_l("more than") if self.strict else _l("at least")))


# The rules a community usually needs, by name (the form offers them; any other is typed as numbers).
PRESETS = {
    "two_thirds": (Rule(Fraction(2, 3), Fraction(2, 3)),
                   _l("Two-thirds of households take part, two-thirds of votes agree (shared property)")),
    "majority": (Rule(Fraction(1, 2), Fraction(1, 2), strict=True),
                 _l("Half of households take part, more than half of votes agree")),
    "three_quarters": (Rule(Fraction(2, 3), Fraction(3, 4)),
                       _l("Two-thirds of households take part, three-quarters of votes agree (major works)")),
}


def fraction_text(value: Fraction) -> str:
    """2/3 → "2/3"; 1/2 → "1/2"; 3/5 → "60%" (a whole percentage reads better than 3/5)."""
    if value.denominator in (2, 3, 4):
        return f"{value.numerator}/{value.denominator}"
    percent = value * 100
    return f"{percent.numerator // percent.denominator}%" if percent.denominator == 1 else f"{float(percent):.1f}%"


PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?%?$")


def parse_percent(text: str | None) -> Fraction | None:
    """"66.67" → 6667/10000, exactly (at most two decimals); None for anything that is not a share
    between 0 (excluded) and 100."""
    found = PERCENT.match(str(text or "").strip())
    if found is None:
        return None
    value = Fraction(int(found.group(1) + (found.group(2) or "").ljust(2, "0")), 10000)
    return value if 0 < value <= 1 else None


@dataclass(frozen=True)
class Outcome:
    households: int
    voted: int
    counts: dict[int, int]  # votes per option id
    turnout_met: bool
    adopted_option: int | None  # the option adopted, if the rule is met
    adopted: bool


def decide(rule: Rule, households: int, counts: dict[int, int], agreeing: list[int]) -> Outcome:
    """Apply ``rule`` to the votes per option (``agreeing``: the options that agree, in their order)."""
    voted = sum(counts.values())
    turnout_met = households > 0 and Fraction(voted, households) >= rule.turnout
    adopted_option = None
    if turnout_met and agreeing:
        ranked = sorted(agreeing, key=lambda option: -counts.get(option, 0))
        best = ranked[0]
        tied = len(ranked) > 1 and counts.get(ranked[1], 0) == counts.get(best, 0)
        share = Fraction(counts.get(best, 0), voted) if voted else Fraction(0)
        meets = share > rule.agree if rule.strict else share >= rule.agree
        if meets and not tied:
            adopted_option = best
    return Outcome(households, voted, dict(counts), turnout_met, adopted_option, adopted_option is not None)

"""The rule that decides a consultation, applied exactly at its boundaries (services/deciding.py)."""

from fractions import Fraction

import pytest
from kiosk_app.services.deciding import PRESETS, Rule, decide, fraction_text, parse_percent

TWO_THIRDS = PRESETS["two_thirds"][0]
FOR, AGAINST, ABSTAIN = 1, 2, 3


@pytest.mark.parametrize(("households", "votes_for", "votes_against", "adopted"), [
    (3, 2, 0, True),  # turnout 2/3 exactly, all agree
    (1000, 666, 0, False),  # turnout 66.6 %: short of two-thirds
    (1000, 667, 0, True),
    (3, 2, 1, True),  # everyone voted; 2 of 3 votes agree: exactly two-thirds
    (6, 4, 2, True),  # 4 of 6 agree: exactly two-thirds
    (1000, 444, 223, False),  # 667 voted; 444 agree = 66.57 % of the votes
    (1000, 445, 222, True),  # 445 of 667 = 66.72 %
])
def test_two_thirds_of_households_and_two_thirds_of_votes(households, votes_for, votes_against, adopted):
    outcome = decide(TWO_THIRDS, households, {FOR: votes_for, AGAINST: votes_against}, [FOR])
    assert outcome.adopted is adopted and outcome.voted == votes_for + votes_against


def test_abstentions_count_as_votes_cast_and_not_as_agreeing():
    assert not decide(TWO_THIRDS, 9, {FOR: 4, AGAINST: 0, ABSTAIN: 3}, [FOR]).adopted  # 4 of 7
    assert decide(TWO_THIRDS, 9, {FOR: 6, AGAINST: 0, ABSTAIN: 3}, [FOR]).adopted  # 6 of 9


def test_more_than_half_is_strict():
    majority = PRESETS["majority"][0]
    assert not decide(majority, 10, {FOR: 3, AGAINST: 3}, [FOR]).adopted  # half of the votes: not more than half
    assert decide(majority, 10, {FOR: 4, AGAINST: 3}, [FOR]).adopted
    assert not decide(majority, 10, {FOR: 4, AGAINST: 0}, [FOR]).turnout_met  # 4 of 10 households


def test_alternatives_adopt_the_one_with_most_votes_when_it_alone_meets_the_rule_and_a_tie_adopts_none():
    rule = Rule(Fraction(1, 2), Fraction(1, 2), strict=True)
    assert decide(rule, 10, {1: 6, 2: 2}, [1, 2]).adopted_option == 1
    assert decide(rule, 10, {1: 3, 2: 3}, [1, 2]).adopted_option is None
    assert decide(rule, 10, {1: 4, 2: 3}, [1, 2]).adopted_option == 1  # 4 of 7: more than half
    assert decide(rule, 10, {1: 4, 2: 3, 3: 2}, [1, 2]).adopted_option is None  # 4 of 9: the most, not enough
    assert decide(rule, 0, {}, [1]).adopted is False  # nobody in scope: nothing decided


def test_percentages_and_how_a_rule_is_written():
    assert parse_percent("66.7") == Fraction(667, 1000) and parse_percent("0") is None
    assert parse_percent("101") is None and parse_percent("abc") is None and parse_percent("50%") == Fraction(1, 2)
    assert fraction_text(Fraction(2, 3)) == "2/3" and fraction_text(Fraction(3, 5)) == "60%"
    assert fraction_text(Fraction(667, 1000)) == "66.7%"

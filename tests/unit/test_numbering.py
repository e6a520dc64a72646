from datetime import date

from kiosk_app.services.tickets import format_number


def test_ticket_numbers_are_community_date_sequence():
    assert format_number("HQ", date(2026, 11, 26), 7) == "HQ-261126-007"
    assert format_number("XJ", date(2027, 1, 2), 1234) == "XJ-270102-1234"

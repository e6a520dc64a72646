"""Rules for what residents type: names, mainland mobile numbers, ID numbers, free text.

Each ``clean_*`` function returns the value to keep or raises ``FieldError`` with a message in
the resident's language.  Kiosk keyboards and phone IMEs produce full-width digits and stray spaces,
so a value is judged in its NFKC form; but a resident's words are kept as they were written (full-width
punctuation and all): numbers are stored in their one canonical form, names and free text as typed.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

NAME_MAX = 40
DETAILS_MAX = 2000

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# What a real name is made of: letters of any script (with their combining marks), and between its
# parts a space or one of the separators real names use: 阿卜杜·热合曼 (and the other dots an IME
# gives for it), Mary-Jane O'Neil, Martin Luther King Jr.  A name has a family name and a given name,
# so at least two letters: "张" alone or "A" is not yet a name.
NAME_SEPARATORS = "·•・‧.'’-"
_NAME = re.compile(r"^[^\W\d_]+(?: ?[" + re.escape(NAME_SEPARATORS) + r"] ?[^\W\d_]+| [^\W\d_]+)*\.?$")


class FieldError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _normalise(value: str | None) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    return " ".join(text.split())


def clean_name(value: str | None) -> str:
    """The name as written (spaces trimmed and single), once its NFKC form passes the rules above."""
    name = " ".join((value or "").split())
    checked = _normalise(name)
    if not checked:
        raise FieldError(_l("Please enter your name."))
    if len(name) > NAME_MAX:
        raise FieldError(_l("A name can have at most %(max)d characters.", max=NAME_MAX))
    if any(ch.isdigit() for ch in checked):
        raise FieldError(_l("A name has no digits: please write it in letters."))
    for typed in name:
        plain = unicodedata.normalize("NFKC", typed)
        if not all(ch.isalpha() or unicodedata.category(ch)[0] == "M" or ch in NAME_SEPARATORS or ch == " "
                   for ch in plain):
            raise FieldError(_l("“%(char)s” cannot be part of a name.", char=typed))
    if not _NAME.match(checked):
        first = next((typed for typed in name if unicodedata.normalize("NFKC", typed) in NAME_SEPARATORS), "·")
        raise FieldError(_l("“%(char)s” goes between two parts of a name, as in 阿卜杜·热合曼.", char=first))
    if sum(ch.isalpha() for ch in checked) < 2:
        raise FieldError(_l("Please enter your full name: family name and given name."))
    return name


def clean_mobile(value: str | None) -> str:
    digits = re.sub(r"[\s\-()]", "", _normalise(value))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits:
        raise FieldError(_l("Please enter your mobile number."))
    if not digits.isascii() or not digits.isdigit():
        raise FieldError(_l("A mobile number has digits only."))
    if len(digits) != 11:
        raise FieldError(_l("A mobile number has 11 digits."))
    if not _MOBILE.match(digits):
        raise FieldError(_l("This is not a mainland China mobile number."))
    return digits


def clean_id_number(value: str | None) -> str:
    """Resident identity card number (居民身份证号码): 18 characters, a birth date and a check digit.

    The region part is not checked against a list: region codes are renamed and merged over
    the years, and a real resident must never be turned away by an out-of-date table.  The
    check digit already catches mistyped digits.
    """
    number = _normalise(value).replace(" ", "").upper()
    if not number:
        raise FieldError(_l("Please enter your ID card number."))
    number = ric.compact(number)
    if len(number) != 18:
        raise FieldError(_l("An ID card number has 18 characters."))
    if not (number[:-1].isascii() and number[:-1].isdigit()) or number[-1] not in "0123456789X":
        raise FieldError(_l("An ID card number has 17 digits and then a digit or X."))
    if number[-1] != ric.calc_check_digit(number):
        raise FieldError(_l("This ID card number is not valid: please check every digit."))
    try:
        ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise FieldError(_l("This ID card number has an impossible date of birth.")) from None
    return number


def clean_details(value: str | None) -> str:
    """The resident's words as written: line breaks kept (one kind), control characters dropped, the
    ends trimmed; full-width punctuation stays (NFC only composes accents, it changes no width)."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    if len(text) > DETAILS_MAX:
        raise FieldError(
            _l(
                "Please keep the details to %(max)d characters (you wrote %(count)d).",
                max=DETAILS_MAX,
                count=len(text),
            )
        )
    return text


def record_id(value) -> int | None:
    """A database id from user input, or None when it cannot be one (text, negative, too large)."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= 2**31 - 1 else None


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧**娜."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_mobile(mobile: str) -> str:
    """13812345678 → 138****5678."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return mobile[:3] + "*" * (len(mobile) - 7) + mobile[-4:]


def mask_id_number(number: str) -> str:
    """Keep the region's first two and the last two characters."""
    if len(number) < 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]

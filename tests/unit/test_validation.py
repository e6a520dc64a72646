"""What residents type: names, mobiles, ID numbers, details; and how their data is masked."""

import pytest
from flask import Flask
from flask_babel import Babel

from kiosk_app.services import validation
from kiosk_app.services.validation import FieldError

VALID_ID = "11010519491231002X"  # a valid check digit (X)


@pytest.fixture(autouse=True)
def babel_context():
    """Messages are lazy strings; render them in English for the assertions."""
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    Babel(app)
    with app.test_request_context():
        yield


def message(fn, value) -> str:
    with pytest.raises(FieldError) as caught:
        fn(value)
    return str(caught.value.message)


@pytest.mark.parametrize("raw, clean", [
    ("张三", "张三"),
    ("  欧阳  娜娜 ", "欧阳 娜娜"),
    ("阿卜杜·热合曼", "阿卜杜·热合曼"),
    ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
    ("Martin Luther King Jr.", "Martin Luther King Jr."),
    ("买买提・艾力", "买买提・艾力"),  # the katakana dot an IME gives for "·", kept as typed
    ("阿卜杜 · 热合曼", "阿卜杜 · 热合曼"),
    ("ＺＨＡＮＧ San", "ＺＨＡＮＧ San"),  # checked as ZHANG San, kept as written
    ("Zoë", "Zoë"),
    ("王　五", "王 五"),  # a full-width space is a space
])
def test_names_accepted_and_normalised(raw, clean):
    assert validation.clean_name(raw) == clean


@pytest.mark.parametrize("raw, expected", [
    ("", "Please enter your name."),
    ("   ", "Please enter your name."),
    ("张", "Please enter your full name: family name and given name."),
    ("A", "Please enter your full name: family name and given name."),
    ("张三3", "A name has no digits: please write it in letters."),
    ("张三３", "A name has no digits: please write it in letters."),
    ("<script>", "“<” cannot be part of a name."),
    ("张三@", "“@” cannot be part of a name."),
    ("张三！", "“！” cannot be part of a name."),
    ("·阿卜杜", "“·” goes between two parts of a name, as in 阿卜杜·热合曼."),
    ("阿卜杜··热合曼", "“·” goes between two parts of a name, as in 阿卜杜·热合曼."),
    ("Mary--Jane", "“-” goes between two parts of a name, as in 阿卜杜·热合曼."),
    ("张" * 41, "A name can have at most 40 characters."),
])
def test_names_refused_with_a_reason(raw, expected):
    assert message(validation.clean_name, raw) == expected


@pytest.mark.parametrize("raw", [
    "13812345678",
    " 138 1234 5678 ",
    "１３８１２３４５６７８",  # full-width digits from a phone IME
    "+86 138-1234-5678",
    "8613812345678",
])
def test_mobiles_accepted_and_normalised(raw):
    assert validation.clean_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw, expected", [
    ("", "Please enter your mobile number."),
    ("1381234567", "A mobile number has 11 digits."),
    ("138123456789", "A mobile number has 11 digits."),
    ("12812345678", "This is not a mainland China mobile number."),
    ("23812345678", "This is not a mainland China mobile number."),
    ("138abcd5678", "A mobile number has digits only."),
    ("١٣٨١٢٣٤٥٦٧٨", "A mobile number has digits only."),  # other scripts' digits are not ours
])
def test_mobiles_refused_with_a_reason(raw, expected):
    assert message(validation.clean_mobile, raw) == expected


@pytest.mark.parametrize("raw", [
    VALID_ID,
    VALID_ID.lower(),
    f"  {VALID_ID}  ",
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width
    "110105 19491231 002X",
])
def test_id_numbers_accepted_and_normalised(raw):
    assert validation.clean_id_number(raw) == VALID_ID


@pytest.mark.parametrize("raw, expected", [
    ("", "Please enter your ID card number."),
    ("110105194912310021", "This ID card number is not valid: please check every digit."),
    ("11010519491231002", "An ID card number has 18 characters."),
    ("11010519491231002XX", "An ID card number has 18 characters."),
    ("110105194913310021", "This ID card number has an impossible date of birth."),  # month 13
    ("11010519491231A02X", "An ID card number has 17 digits and then a digit or X."),
])
def test_id_numbers_refused_with_a_reason(raw, expected):
    assert message(validation.clean_id_number, raw) == expected


def test_an_unlisted_region_code_is_accepted():
    # Region codes are renamed and merged over the years; the check digit still guards typos.
    assert validation.clean_id_number("990105194912310023") == "990105194912310023"


def test_details_keep_line_breaks_and_drop_control_characters():
    assert validation.clean_details("  灯不亮\r\n3单元\x00\x07 ") == "灯不亮\n3单元"


def test_details_are_kept_as_the_resident_wrote_them():
    written = "我在本社区住了半年，申请居住证。材料：身份证（原件）、照片２张；“急”！"
    assert validation.clean_details(written) == written


def test_details_too_long_says_how_long():
    text = "字" * 40_000
    assert message(validation.clean_details, text) == (
        "Please keep the details to 2000 characters (you wrote 40000)."
    )


@pytest.mark.parametrize("name, masked", [
    ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("王小明", "王*明"), ("李", "*"),
])
def test_names_are_masked(name, masked):
    assert validation.mask_name(name) == masked


def test_mobiles_and_id_numbers_are_masked():
    assert validation.mask_mobile("13812345678") == "138****5678"
    assert validation.mask_id_number(VALID_ID) == "11**************2X"

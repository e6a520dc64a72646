"""Every text a person reads goes through the catalogue, and the Chinese catalogue is complete."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "kiosk_app/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
METHODS = [("kiosk_app/**.py", "python"), ("kiosk_app/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages():
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, comment_tags=()
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_a_chinese_translation():
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and "fuzzy" not in m.flags and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(source_messages() - translated)
    assert missing == [], "run `make extract-messages` and translate: " + "; ".join(missing)


def test_templates_have_no_chinese_outside_the_catalogue():
    # Text between tags must come from {{ _("…") }} (language names come from web/i18n.py).
    offenders = []
    for path in (ROOT / "kiosk_app/templates").rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for chunk in re.findall(r">([^<{]*)<", line):
                if re.search(r"[\u4e00-\u9fff]", chunk):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {chunk.strip()}")
    assert offenders == []

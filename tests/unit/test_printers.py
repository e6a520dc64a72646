"""Receipts as ESC/POS bytes: the printer setting, Chinese as GB18030 or as images, the QR raster."""

import pytest

from kiosk_app.hardware import printers
from kiosk_app.hardware.printers import PrinterConfig, parse_url, render, wrap_columns

from ..hardware.fake_printer import decoded_qr_codes, rasters

URL = "https://fuwu.example.cn/t/4hX0pQ2vLk9sT7eWb1nYc3mRz8aUd6fGj5iKo"


def receipt():
    return (printers.Receipt()
            .line("红旗路社区", align="center")
            .line("受理回执", "large", "center")
            .line("HQ-261126-007", "large", "center")
            .line("预计办结：2026年12月3日")
            .qr(URL)
            .line("社区工作人员会收取您的材料，请用手机扫码查看办理进度。"))


@pytest.mark.parametrize("url, expected", [
    ("none", PrinterConfig("none")),
    ("", PrinterConfig("none")),
    ("dummy://", PrinterConfig("dummy")),
    ("dummy://?fault=paper_out", PrinterConfig("dummy", fault="paper_out")),
    ("tcp://192.168.1.50:9100", PrinterConfig("tcp", host="192.168.1.50", port=9100)),
    ("tcp://printer.local?chinese=gb18030", PrinterConfig("tcp", host="printer.local", chinese="gb18030")),
    ("serial:///dev/ttyUSB0?baudrate=19200&width=58",
     PrinterConfig("serial", device="/dev/ttyUSB0", baudrate=19200, width_mm=58)),
    ("usb://04b8:0202", PrinterConfig("usb", vendor=0x04B8, product=0x0202)),
])
def test_printer_settings_are_read(url, expected):
    assert parse_url(url) == expected


@pytest.mark.parametrize("url, says", [
    ("lpt://1", "unknown printer address"),
    ("tcp://:9100", "needs a host"),
    ("usb://epson", "vendor:product"),
    ("tcp://p.local?chinese=big5", "chinese=big5"),
    ("tcp://p.local?width=110", "width=110"),
    ("serial:///dev/ttyS0?baudrate=fast", "not a number"),
    ("tcp://p.local?colour=red", "unknown option"),
])
def test_a_wrong_printer_setting_says_what_is_wrong(url, says):
    with pytest.raises(ValueError, match=says):
        parse_url(url)


def test_image_mode_prints_chinese_as_rasters_and_the_number_as_text():
    data = render(receipt(), parse_url("dummy://"))
    assert b"HQ-261126-007" in data
    assert "社区".encode("gb18030") not in data and b"\x1c\x26" not in data  # no Chinese character mode
    images = rasters(data)
    assert len(images) == 5  # four Chinese lines (one wraps within its image) and the QR
    assert {image.width for image in images} == {576}  # 80 mm paper
    assert all(image.getextrema() == (0, 255) for image in images)  # something is drawn on each
    assert data.endswith(b"\x1dV\x00")  # feed and cut at the end


def test_gb18030_mode_sends_chinese_text_in_chinese_character_mode():
    data = render(receipt(), parse_url("dummy://?chinese=gb18030"))
    assert b"\x1c\x26" + "红旗路社区".encode("gb18030") in data
    assert "预计办结：2026年12月3日".encode("gb18030") in data
    assert b"HQ-261126-007" in data
    assert len(rasters(data)) == 1  # only the QR is an image


@pytest.mark.parametrize("url", ["dummy://", "dummy://?chinese=gb18030", "dummy://?width=58"])
def test_the_printed_qr_decodes_to_the_status_address(url):
    data = render(receipt(), parse_url(url))
    assert URL in decoded_qr_codes(data)


def test_58_mm_paper_gets_narrower_images():
    images = rasters(render(receipt(), parse_url("dummy://?width=58")))
    assert {image.width for image in images} == {384}


def test_lines_wrap_by_display_width():
    assert wrap_columns("社区" * 20, 32) == ["社区" * 8, "社区" * 8, "社区" * 4]
    assert wrap_columns("HQ-261126-007", 48) == ["HQ-261126-007"]


def test_the_simulated_printer_keeps_what_it_printed_or_fails_as_told():
    printers.print_receipt(parse_url("dummy://"), receipt())
    text, data = printers.SIMULATED[-1]
    assert "HQ-261126-007" in text and b"HQ-261126-007" in data
    with pytest.raises(printers.PrinterFault) as fault:
        printers.print_receipt(parse_url("dummy://?fault=paper_out"), receipt())
    assert fault.value.kind == "paper_out"

"""Names and phones as people type them on a phone."""
import pytest

from chalicelib.domain import normalize


@pytest.mark.parametrize("raw, name", [
    ("买买提•艾力", "买买提·艾力"), ("买买提・艾力", "买买提·艾力"), ("买买提‧艾力", "买买提·艾力"),
    ("买买提．艾力", "买买提·艾力"), ("买买提･艾力", "买买提·艾力"), ("䶮", "䶮"), ("𠮷", "𠮷"),
    ("  欧阳  娜娜 ", "欧阳 娜娜"), ("Ｊｏｈｎ", "John"), ("José", "José"),
])
def test_good_names(raw, name):
    assert normalize.person_name(raw) == name


@pytest.mark.parametrize("raw", ["", "   ", "张三\n", "张\u200b三", "=1+1", "张三123", "·", "张" * 51, "<b>"])
def test_bad_names(raw):
    with pytest.raises(normalize.Invalid):
        normalize.person_name(raw)


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "8613812345678",
                                 "１３８１２３４５６７８"])
def test_good_phones(raw):
    assert normalize.mainland_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["1381234567८", "13812345678\n", "12812345678", "+8513812345678", "86138123456",
                                 "1381234567", "138-1234-56789", "(138)12345678", "１３８１２３４５６７"])
def test_bad_phones(raw):
    with pytest.raises(normalize.Invalid):
        normalize.mainland_mobile(raw)


def test_mask_phone():
    assert normalize.mask_phone("13812345678") == "138****5678"
    assert "5678" not in normalize.mask_phone("5678")

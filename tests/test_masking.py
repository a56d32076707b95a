"""Personal numbers masked in the forms people type; ordinary numbers left readable."""

import datetime as dt
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.masking import luhn, mask, valid_id_card

ID = "11010519491231002X"  # the standard's sample, valid checksum
CARD = "6222021234567890128"  # Luhn-valid 19 digits
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_checks():
    assert valid_id_card(ID)
    assert not valid_id_card("110105194912310021")
    assert luhn(CARD) and not luhn("6222021234567890123")


def test_masks_id_bank_and_mobile_but_not_other_numbers():
    text = f"customer id {ID}, card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}, call 138 1234 5678, desk 12, ticket 2026112800001, order 6222021234567890123"
    out = mask(text)
    assert ID not in out and "110***********002X" in out
    assert "0128" in out and "6222 0212" not in out
    assert "138****5678" in out
    assert "desk 12" in out and "2026112800001" in out and "6222021234567890123" in out  # too short / not Luhn-valid


def test_invalid_id_is_left_alone():
    assert mask("110105194912310021") == "110105194912310021"


@pytest.mark.parametrize("typed,masked", [
    ("110105 19491231 002X", "110***********002X"),
    ("110105-19491231-002x", "110***********002X"),
    ("1101 0519 4912 3100 2X", "110***********002X"),
    ("138.1234.5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("138 12345678", "138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("8613812345678", "86138****5678"),
    ("6222.0212.3456.7890.128", "**** **** **** 0128"),
    ("6222-0212-3456-7890-128", "**** **** **** 0128"),
    ("3782 822463 10005", "**** **** **** 0005"),  # 15 digits, 4-6-5
    ("１３８１２３４５６７８", "138****5678"),
    ("１１０１０５１９４９１２３１００２Ｘ", "110***********002X"),
    ("６２２２　０２１２　３４５６　７８９０　１２８", "**** **** **** 0128"),
    ("sfz11010519491231002X", "sfz110***********002X"),
    ("身份证11010519491231002X。", "身份证110***********002X。"),
    ("tel13812345678", "tel138****5678"),
    ("手机：138 1234 5678，卡号6222021234567890128", "手机：138****5678，卡号**** **** **** 0128"),
])
def test_the_forms_people_type(typed, masked):
    assert mask(typed) == masked


@pytest.mark.parametrize("text", [
    "order 2026112800001 at 10:30 on 2026-11-28, room 1203",
    "2026.11.28 13.30, 2026/11/28 08:30:15, 2026年11月28日",
    "HZ-2026-00042 and HZ-2026-00043",
    "ip 192.168.100.200, v1.2.3, ¥1,234.56, 3.14159265358979",
    "order 6222021234567890123 (not Luhn-valid), id 110105194912310021 (wrong check)",
    "110105 19491331 0021",  # checksum right, but no 13th month
    "110105194913310021",  # checksum right, birth date impossible
    "13812345678901",  # a mobile is never cut out of a longer number
    "0101234 5678, 010-1234-5678",  # landlines
    "floor 13 desk 8 seat 1234 5678",
])
def test_ordinary_numbers_stay_readable(text):
    assert mask(text) == text


# --- properties -------------------------------------------------------------------------------

def _id_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def _luhn_digit(body: str) -> str:
    return next(d for d in "0123456789" if luhn(body + d))


digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731
id_numbers = st.builds(
    lambda region, born, seq: (lambda f: f + _id_check(f))(region + born.strftime("%Y%m%d") + seq),
    digits(6).filter(lambda r: r[0] != "0"), st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)), digits(3))
card_numbers = st.integers(14, 18).flatmap(lambda n: st.builds(
    lambda body: body + _luhn_digit(body), st.builds(lambda a, b: a + b, st.sampled_from("3456"), digits(n - 1))))
mobile_numbers = st.builds(lambda second, rest: "1" + second + rest, st.sampled_from("3456789"), digits(9))

ID_GROUPS = [(18,), (6, 8, 4), (6, 4, 4, 4), (4, 4, 4, 4, 2), (3, 3, 4, 4, 4)]
CARD_GROUPS = lambda n: [(n,), tuple([4] * (n // 4) + ([n % 4] if n % 4 else []))]  # noqa: E731
MOBILE_GROUPS = [(11,), (3, 4, 4), (3, 8)]
separators = st.sampled_from([" ", ".", "-", "　", "．", " - ", "  "])
glue = st.sampled_from(["", "sfz", "ID", "tel", "卡号", "号码：", "(", "no. "])
tail = st.sampled_from(["", "。", ")", " thanks", "abc", "，请核实"])


def _typed(number: str, sizes: tuple[int, ...], sep: str, full_width: bool) -> str:
    parts, i = [], 0
    for n in sizes:
        parts.append(number[i:i + n])
        i += n
    typed = sep.join(parts)
    return typed.translate(FULL_WIDTH) if full_width else typed


def _digits_in(text: str) -> str:
    plain = text.translate(str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx"))
    return re.sub(r"[^0-9Xx]", "", plain)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.tuples(id_numbers, st.sampled_from(ID_GROUPS)),
    card_numbers.flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(CARD_GROUPS(len(c))))),
    st.tuples(mobile_numbers, st.sampled_from(MOBILE_GROUPS)),
), separators, st.booleans(), glue, tail)
@example((ID, (6, 8, 4)), " ", False, "", "")
def test_any_typed_form_of_a_personal_number_is_masked(number_and_groups, sep, full_width, before, after):
    number, sizes = number_and_groups
    text = f"{before}{_typed(number, sizes, sep, full_width)}{after}"
    out = mask(text)
    assert number.upper() not in _digits_in(out).upper(), (text, out)
    assert "****" in out and out.endswith(after) and out.startswith(before)
    assert mask(out) == out  # idempotent


def _neither_card_nor_id(s: str) -> bool:
    """Only the checksums (and an ID's birth date) tell a long number from a card or an ID."""
    if luhn(s):
        return False
    if len(s) == 18 and valid_id_card(s):
        try:
            dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
            return not 1900 <= int(s[6:10]) <= 2100
        except ValueError:
            return True
    return True


dates = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
ordinary = st.one_of(
    st.builds(lambda d, f: d.strftime(f), dates, st.sampled_from(["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d", "%Y%m%d",
                                                                  "%Y年%m月%d日", "%Y-%m-%d %H:%M"])),
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    st.builds(lambda d, h, m: f"{d:%Y.%m.%d} {h:02d}.{m:02d}", dates, st.integers(0, 23), st.integers(0, 59)),
    st.integers(0, 999_999).map(str),  # rooms, desks, floors, counts
    # order numbers up to 14 digits; an 11-digit 1[3-9]… one is a mobile number (no checksum to tell them apart)
    st.integers(10 ** 7, 10 ** 14 - 1).map(str).filter(lambda s: not re.fullmatch(r"1[3-9]\d{9}", s))
    .map(lambda s: f"ORD{s}"),
    st.integers(10 ** 14, 10 ** 19 - 1).map(str).filter(_neither_card_nor_id),  # long numbers
    st.builds(lambda y, n: f"HZ-{y}-{n:05d}", st.integers(2020, 2099), st.integers(1, 99999)),
    st.decimals(0, 10 ** 8, places=2).map(lambda d: f"¥{d}"),
)
words = st.sampled_from([" at ", " room ", "，", " on ", "；工单 ", " desk ", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(ordinary, words), min_size=1, max_size=6))
def test_ordinary_numbers_in_any_sentence_stay_readable(tokens):
    text = "".join(tok + w for tok, w in tokens)
    assert mask(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=200))
def test_any_text_is_safe_to_mask(text):
    out = mask(text)
    assert mask(out) == out
    if not any(c.isdigit() for c in text):
        assert out == text


def test_a_slack_permalink_stays_whole_and_the_numbers_around_it_are_masked():
    link = "https://acme.slack.com/archives/C0TEAMA/p1700000000123456"
    assert mask(f"see {link} call 13812345678") == f"see {link} call 138****5678"
    forged = "https://evil.example/archives/C1/p"  # not Slack's: the card number in it is masked
    assert mask(forged + "4111111111111111") == forged + "**** **** **** 1111"

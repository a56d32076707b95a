from bot.masking import luhn, mask, valid_id_card

ID = "11010519491231002X"  # the standard's sample, valid checksum
CARD = "6222021234567890128"  # Luhn-valid 19 digits


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

"""What unlocks the idle lock: the store's passphrase, the keyring's server password, or a
remembered Argon2id hash of the last password that signed in; and the wait after five
wrong tries, on an injected clock."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest

from desktop.credentials import SERVICE, keyring_key
from desktop.unlock import FREE_TRIES, THROTTLE_S, UNLOCK_HASH_FILE, UnlockCheck, remember_password

PASSWORD = "correct horse battery staple"
ACCOUNT = ("https://sync.example.com", "ana")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_password_unlocks_and_its_file_is_a_private_hash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    remember_password(data, PASSWORD)
    hash_file = data / UNLOCK_HASH_FILE
    assert stat.S_IMODE(hash_file.stat().st_mode) == 0o600
    stored = hash_file.read_bytes()
    assert stored.startswith(b"$argon2id$") and PASSWORD.encode() not in stored
    assert [p.name for p in data.iterdir()] == [UNLOCK_HASH_FILE]  # no partial file left

    check = UnlockCheck(data, keyring_password=lambda _s, _u: None)
    assert check.knows_a_secret(None)
    assert not check.verify("not the password", None)
    assert check.verify(PASSWORD, None)

    remember_password(data, "a newer password 2")  # a later sign-in replaces it
    assert check.verify("a newer password 2", None) and not check.verify(PASSWORD, None)


@pytest.mark.usefixtures("file_keyring")
def test_the_keyring_password_of_the_signed_in_rep_unlocks(tmp_path: Path) -> None:
    keyring.set_password(SERVICE, keyring_key(*ACCOUNT), PASSWORD)
    check = UnlockCheck(tmp_path / "data")
    assert check.knows_a_secret(ACCOUNT)
    assert not check.knows_a_secret(("https://sync.example.com", "someone-else"))
    assert check.verify(PASSWORD, ACCOUNT)
    assert not check.verify(PASSWORD + " ", ACCOUNT)
    assert not check.verify(PASSWORD, ("https://sync.example.com", "someone-else"))


def test_the_store_passphrase_unlocks(tmp_path: Path) -> None:
    check = UnlockCheck(tmp_path / "data", keyring_password=lambda _s, _u: None)
    assert not check.knows_a_secret(ACCOUNT)  # never signed in, no passphrase
    assert not check.verify("anything", ACCOUNT)
    check.set_passphrase_check(lambda typed: typed == "our store passphrase")
    assert check.knows_a_secret(None)
    assert check.verify("our store passphrase", None)
    assert not check.verify("", None)


def test_a_passphrase_check_that_fails_does_not_unlock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_typed: str) -> bool:
        raise RuntimeError("a bug")

    check = UnlockCheck(tmp_path, broken, keyring_password=lambda _s, _u: None)
    assert not check.verify("secret typed", None)
    assert "checking the store passphrase failed" in caplog.text
    assert "secret typed" not in caplog.text


def test_five_wrong_tries_then_each_try_waits_thirty_seconds(tmp_path: Path) -> None:
    clock = Clock()
    check = UnlockCheck(
        tmp_path,
        lambda typed: typed == "right one",
        keyring_password=lambda _s, _u: None,
        clock=clock,
    )
    for _ in range(FREE_TRIES):
        assert check.wait_left() == 0
        assert not check.verify("wrong", None)
    assert check.wait_left() == THROTTLE_S
    clock.now += 10
    assert check.wait_left() == THROTTLE_S - 10
    assert not check.verify("right one", None)  # not even looked at while waiting
    assert check.wait_left() == THROTTLE_S - 10  # and a refused try does not add a wait
    clock.now += 20
    assert check.wait_left() == 0
    assert not check.verify("wrong", None)  # the sixth wrong one: wait again
    assert check.wait_left() == THROTTLE_S
    clock.now += THROTTLE_S
    assert check.verify("right one", None)
    assert check.wait_left() == 0
    for _ in range(FREE_TRIES - 1):  # the count started again
        assert not check.verify("wrong", None)
    assert check.wait_left() == 0


@pytest.mark.parametrize("content", [b"", b"not a hash", b"$argon2id$v=19$garbage", b"x" * 9000])
def test_a_spoilt_hash_file_unlocks_nothing_and_breaks_nothing(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / UNLOCK_HASH_FILE).write_bytes(content)
    check = UnlockCheck(tmp_path, keyring_password=lambda _s, _u: None)
    assert not check.verify(PASSWORD, None)
    assert not check.verify("not a hash", None)
    assert UNLOCK_HASH_FILE in caplog.text

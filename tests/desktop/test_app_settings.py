"""The app's settings file: saved and read back (0600), a hand-edited bad value falls back
to the default with a line in the log, and a company CA file is checked for what it is."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import trustme

from desktop.app_settings import (
    CA_FILE_MAX_BYTES,
    DEFAULT_IDLE_MINUTES,
    SETTINGS_FILE,
    AppSettings,
    ca_file_problem,
)


def test_defaults_when_nothing_was_saved(data_dir: Path) -> None:
    settings = AppSettings(data_dir)
    assert settings.idle_lock_minutes == DEFAULT_IDLE_MINUTES == 15
    assert settings.ca_file is None
    assert not data_dir.exists()  # reading makes nothing


def test_saved_settings_come_back_in_a_private_file(data_dir: Path, tmp_path: Path) -> None:
    ca = tmp_path / "company-ca.pem"
    AppSettings(data_dir).save(45, str(ca))
    path = data_dir / SETTINGS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    again = AppSettings(data_dir)
    assert (again.idle_lock_minutes, again.ca_file) == (45, str(ca))
    again.save(0, None)  # 0: never; no CA
    assert (AppSettings(data_dir).idle_lock_minutes, AppSettings(data_dir).ca_file) == (0, None)


@pytest.mark.parametrize("minutes", [-1, 241, 100_000])
def test_minutes_out_of_bounds_are_refused_and_nothing_is_written(
    data_dir: Path, minutes: int
) -> None:
    with pytest.raises(ValueError, match="0 \\(never\\) or 1 to 240 minutes"):
        AppSettings(data_dir).save(minutes, None)
    assert not (data_dir / SETTINGS_FILE).exists()


@pytest.mark.parametrize(
    ("idle", "ca"),
    [
        ("abc", "relative/ca.pem"),
        ("-5", "@ByteArray(/etc/ca.pem)"),
        ("241", "a, b"),  # Qt reads a comma as a list
        ("1e3", "ca.pem"),
        ("", "~/ca.pem"),
    ],
)
def test_hand_edited_bad_values_fall_back_and_are_logged(
    data_dir: Path, idle: str, ca: str, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir.mkdir()
    (data_dir / SETTINGS_FILE).write_text(f"[lock]\nidle_minutes={idle}\n\n[sync]\nca_file={ca}\n")
    settings = AppSettings(data_dir)
    assert settings.idle_lock_minutes == DEFAULT_IDLE_MINUTES
    assert settings.ca_file is None
    assert "idle_minutes is not 0 or 1 to 240 minutes; the idle lock uses 15" in caplog.text
    assert "ca_file is not a full file path" in caplog.text
    if idle:
        assert f"={idle}" not in caplog.text  # what is wrong, not what the file holds


def test_a_file_that_is_not_settings_at_all_gives_the_defaults(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / SETTINGS_FILE).write_bytes(b"\x00\xff\xfe garbage \x00\n[lock\nidle_minutes\n")
    settings = AppSettings(data_dir)
    assert (settings.idle_lock_minutes, settings.ca_file) == (DEFAULT_IDLE_MINUTES, None)


def test_a_pem_certificate_is_a_company_ca_and_other_files_are_not(tmp_path: Path) -> None:
    ca = trustme.CA()
    good = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(good))
    assert ca_file_problem(str(good)) is None

    text = tmp_path / "notes.txt"
    text.write_text("this is not a certificate\n")
    assert ca_file_problem(str(text)) == (
        "the file notes.txt holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    )
    key_only = tmp_path / "key.pem"
    ca.private_key_pem.write_to_path(str(key_only))
    assert "holds no PEM certificate" in (ca_file_problem(str(key_only)) or "")
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    assert "holds no PEM certificate" in (ca_file_problem(str(empty)) or "")
    big = tmp_path / "big.pem"
    big.write_bytes(b"-" * (CA_FILE_MAX_BYTES + 1))
    assert ca_file_problem(str(big)) == "the file big.pem is too big to be a CA certificate"
    assert ca_file_problem(str(tmp_path / "gone.pem")) == "the file gone.pem was not found"
    assert ca_file_problem(str(tmp_path)) == "the CA certificate is a file, not a folder"
    assert ca_file_problem("company-ca.pem") == "choose the CA file with its full path"

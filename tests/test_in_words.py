"""What a rep reads about a failure: their own words for what they can fix, one plain
sentence for a bug, never an exception's class, SQL or values."""

from __future__ import annotations

from db.errors import UNEXPECTED, DiskFull, in_words


def test_a_problem_the_rep_can_fix_is_said_in_its_own_words() -> None:
    assert in_words(DiskFull("the disk is full")) == "the disk is full"
    assert in_words(DiskFull("the disk is full"), "saving the note") == "the disk is full"


def test_a_file_problem_says_what_the_system_said() -> None:
    missing = FileNotFoundError(2, "No such file or directory", "/x/y.pdf")
    assert in_words(missing) == "no such file or directory"
    assert (
        in_words(missing, "writing the PDF") == "Writing the PDF failed: no such file or directory"
    )


def test_a_bug_is_one_plain_sentence_without_its_detail() -> None:
    bug = KeyError("SELECT * FROM account WHERE name = 'Acme'")
    said = in_words(bug, "moving the account")
    assert said == f"Moving the account failed. {UNEXPECTED}"
    assert "KeyError" not in said and "SELECT" not in said and "Acme" not in said
    assert in_words(ValueError("x")) == UNEXPECTED

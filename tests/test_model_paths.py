"""Windows paths in model references are absolute wherever the check runs."""

import pytest

from merge_core.inspect import Inspector
from merge_core.references import is_absolute


@pytest.mark.parametrize(
    "path, absolute",
    [("C:\\models\\a", True), ("d:/models/b", True), ("\\\\server\\share\\c", True), ("/models/a", True),
     ("./models/a", False), ("models/a", False), ("org/name", False), ("C:models", False), ("\\models", False)],
)
def test_is_absolute(path, absolute):
    assert is_absolute(path) is absolute


def test_a_windows_path_is_not_joined_to_the_working_folder(tmp_path):
    # A folder literally named "D:" here must not be taken for the Windows drive D:.
    (tmp_path / "D:" / "models" / "b").mkdir(parents=True)
    (tmp_path / "D:" / "models" / "b" / "config.json").write_text("{}")
    res = Inspector(str(tmp_path)).resolve("D:/models/b")
    assert res.status == "missing"
    assert res.message == "no such folder: D:/models/b"
    assert str(tmp_path) not in res.message

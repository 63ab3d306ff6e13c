"""Every Python example in README.md runs, in order, in one namespace, as a user pastes them."""

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples():
    assert len(_blocks()) >= 5


@pytest.mark.slow
def test_readme_examples_run_in_order():
    namespace: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, block in enumerate(_blocks()):
            try:
                exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message names the block
                raise AssertionError(f"README python block {i + 1} failed:\n{block}") from exc
    cs = namespace["cs"]
    # the only warning is the one the README promises: the Telco Cox model fails its PH check
    assert [w.category for w in caught] == [cs.AssumptionWarning], [str(w.message) for w in caught]
    # the objects the README promises exist, with the numbers it quotes
    assert namespace["data"].n == 7043
    assert round(namespace["bgnbd"].log_likelihood_, 1) == -9582.4
    assert round(namespace["sbg"].alpha_, 3) == 0.704
    assert isinstance(namespace["dated_data"], cs.ChurnData)
    # day-first dates: refused without their format, read exactly with it (issue #17); days
    # counted by hand: 15 Jan -> 25 Nov 2023 is 314 days, 2 Nov 2023 -> 1 Dec 2024 is 395
    assert "date_format='%d/%m/%Y'" in namespace["refusal"]
    assert namespace["accounts_data"].frame["duration"].tolist() == [314.0, 395.0]

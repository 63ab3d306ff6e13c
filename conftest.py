"""Test-wide fixtures (applies to the tests and to the doctests in churnsurv/)."""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure after each test, so examples never pile up figures."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

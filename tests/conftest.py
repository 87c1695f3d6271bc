"Shared fixtures: real thermal data (required in CI), temporary image files."
import os
from pathlib import Path
import pytest
from realiisr_lite.core import shared_data_dir, in_ci

os.environ.setdefault('MPLBACKEND', 'Agg')


@pytest.fixture(scope='session')
def shared_data() -> Path:
    "The shared real-data folder; fails under CI when missing, skips (with the reason) elsewhere."
    p = shared_data_dir()
    if p is None:
        msg = "shared thermal data not found (set REALIISR_SHARED_DATA or put it at ../shared/data)"
        if in_ci(): pytest.fail(msg + ": CI must run the real-data tests")
        pytest.skip(msg)
    return p


@pytest.fixture(scope='session')
def tno(shared_data) -> Path:
    p = shared_data / 'tno_lwir'
    assert p.is_dir(), f"{p} missing from the shared data"
    return p

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


@pytest.fixture(scope='session')
def huge_png(tmp_path_factory) -> Path:
    "A 6000×6000 8-bit PNG (36 million pixels, all black: 35 kB on disk), written once per test session."
    from PIL import Image
    p = tmp_path_factory.mktemp('huge')/'huge_6000.png'
    Image.new('L', (6000, 6000)).save(p)
    return p


@pytest.fixture
def no_decoding(monkeypatch):
    "PIL's pixel decoding switched off: `load()` of a PNG raises AssertionError, so a test sees whether pixels were read."
    from PIL import PngImagePlugin
    def load(self, *args, **kwargs): raise AssertionError('the pixels were decoded')
    monkeypatch.setattr(PngImagePlugin.PngImageFile, 'load', load)

"""The bundled model's outputs on fixed inputs are those recorded in tests/golden/ (scripts/golden.py): a refactoring of
the inference path must change nothing, bit for bit on this machine (one CPU thread; `scripts/golden.py --check`), to a mean of 1e-4 on another CPU type. After retraining the bundled model, rerun
`python scripts/golden.py` to record its outputs."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_outputs_unchanged():
    if not (ROOT/'tests'/'golden'/'bundled.safetensors').exists(): pytest.fail('tests/golden/bundled.safetensors missing: run scripts/golden.py')
    r = subprocess.run([sys.executable, str(ROOT/'scripts'/'golden.py'), '--check', '--tolerance', '1e-4'], capture_output=True,
                       text=True, timeout=900, env={**os.environ, 'OMP_NUM_THREADS': '1'})   # another CPU type may round differently
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]

"The realiisr-lite command: help everywhere, one clear line for bad arguments and bad files, real outputs."
import json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

CLI = [sys.executable, '-m', 'realiisr_lite.cli']
COMMANDS = ['quickstart', 'synth', 'train', 'sr', 'bench', 'eval', 'demo', 'course', 'info']


def run(*args, timeout=300, **kw):
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, env=env, **kw)


@pytest.mark.parametrize('cmd', COMMANDS)
def test_help(cmd):
    r = run(cmd, '--help')
    assert r.returncode == 0 and 'usage: realiisr-lite' in r.stdout


@pytest.mark.parametrize('args,expect', [
    (['train', '--set', 'var.nope=1', '--print-config'], 'unknown config key'),
    (['train', '--config', 'huge', '--print-config'], 'unknown config'),
    (['sr', 'no_such_file.png'], 'input not found'),
    (['quickstart', '--size', '30'], 'multiple of 4'),
    (['synth', '/tmp/x', '--n', '0'], 'at least 1'),
    (['bench', '--modes', 'warp'], 'unknown --modes'),
    (['eval', '--model', 'x=/nonexistent/model'], 'not found'),
])
def test_bad_arguments_give_one_line(args, expect):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr and 'Traceback' not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_sr_bad_file_one_line(tmp_path):
    (tmp_path/'bad.png').write_bytes(b'not an image at all')
    r = run('sr', str(tmp_path/'bad.png'), '--model', str(_micro_model(tmp_path)))
    assert r.returncode == 2 and 'not a readable image' in r.stderr and 'Traceback' not in r.stderr


def _micro_model(tmp_path):
    from realiisr_lite.model import RealIISR
    from realiisr_lite.train import micro_config
    d = tmp_path/'micro'
    if not d.exists(): RealIISR(micro_config()).save_pretrained(d)
    return d


def test_sr_16bit_in_16bit_out_and_folder(tmp_path):
    a = (14000 + 3000 * np.random.default_rng(0).random((20, 24))).astype(np.uint16)
    src = tmp_path/'in'; src.mkdir()
    Image.fromarray(a).save(src/'raw16.png')
    Image.fromarray((a // 256).astype(np.uint8)).save(src/'img8.png')
    m = _micro_model(tmp_path)
    r = run('sr', str(src/'raw16.png'), '--model', str(m), '--out', str(tmp_path/'out16.png'))
    assert r.returncode == 0, r.stderr
    out = Image.open(tmp_path/'out16.png')
    assert out.size == (96, 80) and out.mode.startswith('I;16')
    r = run('sr', str(src), '--model', str(m), '--out', str(tmp_path/'sr_dir'))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path/'sr_dir').iterdir()) == ['img8.png', 'raw16.png']
    assert Image.open(tmp_path/'sr_dir'/'img8.png').mode == 'L'


def test_synth_writes_flir_layout(tmp_path):
    r = run('synth', str(tmp_path/'ds'), '--n', '4', '--size', '64')
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path/'ds'/'HR').glob('*.png'))) == 4 and len(list((tmp_path/'ds'/'LR').glob('*.png'))) == 4
    assert Image.open(tmp_path/'ds'/'LR'/'00000.png').size == (16, 16)
    assert json.loads((tmp_path/'ds'/'labels.json').read_text())['00001']['kind'] == 'motion'


def test_bench_writes_json(tmp_path):
    r = run('bench', '--config', 'tiny', '--set', 'var.depth=1', '--modes', 'forward,cache', '--repeats', '1', '--json', str(tmp_path/'b.json'))
    assert r.returncode == 0, r.stderr
    d = json.loads((tmp_path/'b.json').read_text())
    assert d['forward_s_per_image'] > 0 and d['cache_s_per_image'] > 0 and 'KV cache' not in r.stdout


def test_info_json():
    r = run('info', '--json')
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d['device'] in ('cpu', 'cuda', 'mps') and 'weights_lpips' in d

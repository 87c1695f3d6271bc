"""The package's layers, read from its source: every module imports only modules below it (no loop, no upward import,
lazy imports inside functions included), and each module imports on its own in a fresh interpreter."""
import ast, subprocess, sys
from pathlib import Path
import pytest

PKG = Path(__file__).resolve().parent.parent/'realiisr_lite'
LAYERS = ['core', 'data', 'course', 'metrics', 'tsg', 'cac', 'losses', 'vqvae', 'var', 'config', 'model', 'inference',
          'train', 'evaluate', 'app', 'cli']          # bottom to top: core → data/metrics/parts → vqvae → var → config → model → inference → …


def imports_of(path: Path) -> set[str]:
    "The package modules a module imports anywhere in its source (top level or inside functions), absolute or relative."
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 1: out |= {mod.split('.')[0]} if mod else {a.name for a in node.names}
            elif mod.startswith('realiisr_lite.'): out.add(mod.split('.')[1])
            elif mod == 'realiisr_lite': out |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name.split('.')[1] for a in node.names if a.name.startswith('realiisr_lite.')}
    return out - {path.stem}


def test_every_module_has_a_layer():
    mods = {p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_')}
    assert mods == set(LAYERS), f'modules without a layer: {mods - set(LAYERS)}; layers without a module: {set(LAYERS) - mods}'


@pytest.mark.parametrize('mod', LAYERS)
def test_imports_only_from_below(mod):
    deps = imports_of(PKG/f'{mod}.py') & set(LAYERS)
    above = sorted(d for d in deps if LAYERS.index(d) >= LAYERS.index(mod))
    assert not above, f'{mod} imports {above}, on its own level or above'


def test_the_check_sees_lazy_and_relative_imports(tmp_path):
    p = tmp_path/'x.py'
    p.write_text('from .model import a\ndef f():\n    from realiisr_lite.cli import b\n    import realiisr_lite.app\nfrom . import core\n')
    assert imports_of(p) == {'model', 'cli', 'app', 'core'}


def test_each_module_imports_on_its_own():
    procs = {m: subprocess.Popen([sys.executable, '-c', f'import realiisr_lite.{m}'], stderr=subprocess.PIPE, text=True) for m in LAYERS}
    failed = {m: p.communicate(timeout=300)[1][-500:] for m, p in procs.items() if p.wait(timeout=300) != 0}
    assert not failed, failed


def test_no_library_line_over_120_characters():
    "Hand-written library code (exported from the notebooks) keeps to 120 characters; nbdev's own generated lines are exempt."
    long = []
    for p in sorted(PKG.glob('*.py')):
        if p.name in ('_modidx.py', '__init__.py'): continue          # generated indexes: nbdev writes them
        for i, line in enumerate(p.read_text().splitlines(), 1):
            if len(line) > 120 and not line.startswith('__all__ = '): long.append(f'{p.name}:{i} ({len(line)})')
    assert not long, f'{len(long)} lines over 120 characters: {long[:20]}'

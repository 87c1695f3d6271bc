"The student version fails its checks as written and passes once the reference bodies are put back; `course check` says so."
import json, os, re, shutil, subprocess, sys
from pathlib import Path
import pytest
from realiisr_lite.course import (export_student, check_notebook, restore_reference, blank_functions, student_cell, course_items,
                                  format_check)

NBS = Path(__file__).resolve().parent.parent/'nbs'
CLI = [sys.executable, '-m', 'realiisr_lite.cli']


def _cli(*args, timeout=1800):
    env = dict(os.environ, MPLBACKEND='Agg')
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, env=env)


def _blanks_by_directive(nb_path):
    "What the instructor notebook asks of a student, read straight from its `#| blank NAMES` and `#| solution` lines."
    names, n_blank_cells, n_solutions = [], 0, 0
    for c in json.loads(Path(nb_path).read_text())['cells']:
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        m = re.search(r'^#\|\s*blank\b(.*)$', src, re.M)
        if m: names += m.group(1).split(); n_blank_cells += 1
        n_solutions += bool(re.search(r'^#\|\s*solution\b', src, re.M))
    return names, n_blank_cells, n_solutions


def _blocks(stdout):
    "course check's output per notebook: {name: its line(s)}."
    out, cur = {}, None
    for line in stdout.splitlines():
        m = re.match(r'^(\S+\.ipynb)\s', line)
        if m: cur = m.group(1); out[cur] = line
        elif cur and line.startswith('    '): out[cur] += '\n' + line
    return out


def test_every_piece_notebook_has_blanks_and_exercises():
    for nb in sorted(NBS.glob('[01][0-9]_*.ipynb')):
        if nb.stem in ('11_demo', '12_cli', '13_course', '14_lessons'): continue   # tools and the closing chapter
        src = [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
        assert any('#| solution' in s for s in src), f'{nb.name} has no exercise'
        assert any('#| blank' in s for s in src), f'{nb.name} has no function for the student to implement'


@pytest.mark.parametrize('name', ['00_core', '07_toc'])
def test_student_fails_then_passes_with_reference(tmp_path, name):
    export_student(tmp_path/'student', NBS, pattern=f'{name}.ipynb')
    stu = tmp_path/'student'/f'{name}.ipynb'
    r = check_notebook(stu)
    assert not r['ok'] and 'NotImplementedError' in r['error'] and 'NoneType' not in r['error'], r
    assert r['items'][0]['status'] == 'failing' and all(it['status'] == 'remaining' for it in r['items'][1:]), r['items']
    fixed = restore_reference(stu, NBS/f'{name}.ipynb', tmp_path/'student'/f'{name}_fixed.ipynb')
    r2 = check_notebook(fixed)
    assert r2['ok'] and all(it['status'] == 'solved' for it in r2['items']), format_check(r2)


def test_dataclasses_and_main_behave_as_in_jupyter(tmp_path):
    "The notebooks' @dataclass cells (03, 04, 08) failed with \"'NoneType' object has no attribute '__dict__'\" under a bare exec."
    cells = ['from dataclasses import dataclass\n@dataclass\nclass Cfg:\n    depth: int = 6\n    name: str = "tiny"',
             'assert Cfg(depth=2).depth == 2 and __name__ == "__main__"', '%time x = 1', 'assert x == 1']
    nb = {'cells': [{'cell_type': 'code', 'id': f'c{i}', 'metadata': {}, 'outputs': [], 'execution_count': None, 'source': s}
                    for i, s in enumerate(cells)], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    (tmp_path/'dc.ipynb').write_text(json.dumps(nb))
    r = check_notebook(tmp_path/'dc.ipynb')
    assert r['ok'], format_check(r)


def test_student_version_keeps_signatures_and_docstrings(tmp_path):
    export_student(tmp_path, NBS, pattern='02_metrics.ipynb')
    nb = json.loads((tmp_path/'02_metrics.ipynb').read_text())
    cells = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']
    psnr_cell = next(c for c in cells if 'def psnr(' in c)
    assert 'raise NotImplementedError' in psnr_cell and '"Per-image PSNR' in psnr_cell and 'def to_uint8_levels' in psnr_cell
    assert 'log10' not in psnr_cell.split('def psnr(')[1]
    assert sum('YOUR CODE HERE' in c for c in cells) == 1          # the notebook's one exercise solution is blank
    banner = nb['cells'][1]
    assert banner['cell_type'] == 'markdown' and banner['id'] == 'student-version' and 'Student version' in banner['source']
    assert len({c['id'] for c in nb['cells']}) == len(nb['cells'])  # every cell has its own id (no MissingIDFieldWarning)


def test_no_missing_id_warning(tmp_path):
    import warnings, nbformat                                          # nbformat comes with jupyterlab
    export_student(tmp_path, NBS, pattern='0[0-2]_*.ipynb')
    for p in sorted(tmp_path.glob('*.ipynb')):
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            nbformat.validate(nbformat.read(p, as_version=4))


def test_blank_one_line_functions():
    out = blank_functions('def f(x): return x + 1\n')
    ns = {}; exec(out, ns)
    with pytest.raises(NotImplementedError): ns['f'](1)
    assert student_cell('#| solution\n# hint: use numpy\nanswer = 3').endswith("raise NotImplementedError('Exercise: write your solution here')")
    assert student_cell('#| solution\nanswer = 3', "exercise 2 (Count the gate's parameters)").endswith(
        '''raise NotImplementedError("Exercise 2 (Count the gate's parameters): write your solution here")''')


def test_items_name_functions_and_exercises():
    "Blanks are named by function (methods with their class) and exercise (number and title from the Exercises list)."
    items = course_items(json.loads((NBS/'04_var.ipynb').read_text()))
    names, n_cells, n_sol = _blanks_by_directive(NBS/'04_var.ipynb')
    assert [it['name'] for it in items if it['kind'] == 'function'] == names
    ex = [it['name'] for it in items if it['kind'] == 'exercise']
    assert len(ex) == n_sol and [e.split(' (')[0] for e in ex] == [f'exercise {k}' for k in range(1, n_sol + 1)]
    assert ex[1] == 'exercise 2 (The mask with loops)'
    cac = course_items(json.loads((NBS/'06_cac.ipynb').read_text()))
    assert cac[0]['name'] == 'ConditionAdaptiveCodebook.offsets'


@pytest.mark.slow
def test_course_check_on_the_instructor_notebooks_passes(tmp_path):
    "An unchanged copy of the instructor notebooks: every notebook passes, every function and exercise counts as solved, exit 0."
    shutil.copytree(NBS, tmp_path/'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints'))
    n = len(list((tmp_path/'nbs').glob('*.ipynb')))
    r = _cli('course', 'check', str(tmp_path/'nbs'), '--workers', '2')
    assert r.returncode == 0, r.stdout + r.stderr
    blocks = _blocks(r.stdout)
    assert len(blocks) == n and all(' passes ' in b and 'remaining' not in b for b in blocks.values()), r.stdout
    total = sum(sum(_blanks_by_directive(p)[1:]) for p in (tmp_path/'nbs').glob('*.ipynb'))
    assert r.stdout.strip().splitlines()[-1] == f'{n} of {n} notebooks pass; {total} of {total} functions and exercises solved, 0 remaining'


@pytest.mark.slow
def test_course_check_on_the_student_version(tmp_path):
    "The student export fails (exit 1) naming every blank of every notebook; restoring one notebook makes exactly that one pass."
    stu = tmp_path/'student'
    files = export_student(stu, NBS)
    r = _cli('course', 'check', str(stu), '--workers', '2')
    assert r.returncode == 1, r.stdout + r.stderr
    blocks, total = _blocks(r.stdout), 0
    assert sorted(blocks) == sorted(f.name for f in files)
    for f in files:
        names, n_cells, n_sol = _blanks_by_directive(NBS/f.name)
        total += n_cells + n_sol
        b = blocks[f.name]
        if not n_cells + n_sol: assert ' passes ' in b; continue
        assert ' FAILS ' in b and 'first failure' in b and 'NoneType' not in b, b
        assert 'NotImplementedError: Exercise' in b, b                 # the intended failure, not a side effect
        remaining = b.split('remaining: ')[1].split('\n')[0]
        for name in names: assert re.search(rf'`(\w+\.)?{name}`', remaining), (name, b)
        assert len(re.findall(r'\bexercises? \d', remaining)) == n_sol, b
        assert not re.search(r'cell \d', b)                             # named by function/exercise, not by a cell number
    assert r.stdout.strip().splitlines()[-1].endswith(f'0 of {total} functions and exercises solved, {total} remaining')

    restore_reference(stu/'07_toc.ipynb', NBS/'07_toc.ipynb', stu/'07_toc.ipynb')
    r2 = _cli('course', 'check', str(stu), '--workers', '2')
    assert r2.returncode == 1
    b2 = _blocks(r2.stdout)
    passing = sorted(k for k, v in b2.items() if ' passes ' in v)
    assert passing == sorted(['07_toc.ipynb'] + [f.name for f in files if not sum(_blanks_by_directive(NBS/f.name)[1:])]), r2.stdout
    n07 = sum(_blanks_by_directive(NBS/'07_toc.ipynb')[1:])
    assert f'{n07}/{n07} solved' in b2['07_toc.ipynb']
    for k, v in b2.items():
        if k not in passing: assert v == blocks[k], (v, blocks[k])     # every other notebook fails exactly as before


def test_student_export_includes_the_learning_path(tmp_path):
    "`course export --student DIR` writes index.ipynb too: the learning path, unchanged but for cleared outputs."
    r = _cli('course', 'export', '--student', str(tmp_path/'stu'), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    ref, stu = json.loads((NBS/'index.ipynb').read_text()), json.loads((tmp_path/'stu'/'index.ipynb').read_text())
    assert [c['source'] for c in stu['cells']] == [c['source'] for c in ref['cells']]          # no banner, nothing blanked
    assert all(c['outputs'] == [] for c in stu['cells'] if c['cell_type'] == 'code')
    n = len(list(NBS.glob('[0-9]*.ipynb'))) + 1
    assert f'wrote {n} student notebooks' in r.stdout and len(list((tmp_path/'stu').glob('*.ipynb'))) == n

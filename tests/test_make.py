"""The Makefile as a newcomer meets it: `make venv` re-installs only when the dependency declaration changes, and
`make lab` starts a JupyterLab that answers, as root too. Neither test touches the real virtualenv."""
import json, os, shlex, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env():
    "The environment without an enclosing make's flags (`make test` runs pytest), so each sub-make starts clean."
    return {k: v for k, v in os.environ.items() if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES')}


def _fake_checkout(tmp_path):
    "A copy of the Makefile, pyproject.toml and .ci/ with a virtualenv whose `python` only logs what it is asked to run."
    repo, venv, log = tmp_path/'repo', tmp_path/'venv', tmp_path/'installs.log'
    shutil.copytree(ROOT/'.ci', repo/'.ci')
    for f in ('Makefile', 'pyproject.toml'): shutil.copy(ROOT/f, repo/f)
    (venv/'bin').mkdir(parents=True)
    (venv/'bin'/'python').write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n'); (venv/'bin'/'python').chmod(0o755)
    log.write_text('')
    return repo, venv, log


def _make_venv(repo, venv):
    r = subprocess.run(['make', '-C', str(repo), 'venv', f'VENV={venv}'], capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def _installs(log) -> list[str]: return [l for l in log.read_text().splitlines() if 'pip install' in l]


def _rewrite(path, text, seconds_later=10):
    "Write the file and push its date forward, as nbdev-export's rewrite does."
    path.write_text(text); t = time.time() + seconds_later; os.utime(path, (t, t))


def _ci_venv(repo):
    r = subprocess.run(['bash', str(repo/'.ci'/'run'), '--print-venv'], capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_make_venv_installs_only_when_the_dependencies_change(tmp_path):
    repo, venv, log = _fake_checkout(tmp_path)
    pp = repo/'pyproject.toml'; original = pp.read_text()
    _make_venv(repo, venv)
    assert _installs(log) == ['-m pip install -q --upgrade pip', '-m pip install -q -e .[dev]']
    ci_venv = _ci_venv(repo)

    r = _make_venv(repo, venv)                                    # the second `make venv` in a row installs nothing
    assert _installs(log) == ['-m pip install -q --upgrade pip', '-m pip install -q -e .[dev]'], r.stdout
    assert 'pip' not in r.stdout

    _rewrite(pp, original)                                        # what nbdev-export does: same text, newer file
    _make_venv(repo, venv)
    # Formatting and the parts nbdev and pytest manage: comments, one-line lists, [tool.nbdev], description.
    reformatted = (original.replace('dependencies = [\n', '# the runtime dependencies\ndependencies = [  \n')
                   .replace('recursive = false', 'recursive = true').replace('Notebook-first rebuild', 'A notebook-first rebuild')
                   .replace('dev = ["pytest", "hypothesis"', 'dev = [\n  "pytest",\n  "hypothesis"'))
    assert reformatted != original
    _rewrite(pp, reformatted, 20)
    _make_venv(repo, venv)
    assert len(_installs(log)) == 2, log.read_text()
    assert _ci_venv(repo) == ci_venv                              # CI's cached virtualenv is keyed the same way

    _rewrite(pp, original.replace('"einops",', '"einops",\n    "tqdm",'), 30)   # a new dependency: install again, once
    _make_venv(repo, venv)
    assert len(_installs(log)) == 4
    _make_venv(repo, venv)
    assert len(_installs(log)) == 4
    assert _ci_venv(repo) != ci_venv
    assert len(list(venv.glob('.installed-*'))) == 1               # one stamp: the current declaration's


def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_make_lab_command_starts_a_server_that_answers(tmp_path):
    "`make lab`'s own command line (from `make -n`, with this test's virtualenv) serves nbs/, also as root; stopped by PID."
    venv = Path(sys.executable).parent.parent
    r = subprocess.run(['make', '-s', '-n', '-o', 'venv', 'lab', f'VENV={venv}'], cwd=ROOT, capture_output=True, text=True, env=_env())
    assert r.returncode == 0, r.stderr
    args = shlex.split(r.stdout.strip().splitlines()[-1])
    assert args[:2] == [f'{venv}/bin/jupyter', 'lab'] and '--notebook-dir=nbs' in args
    assert ('--allow-root' in args) == (os.getuid() == 0)         # Jupyter refuses root without it
    port, token = _free_port(), 'realiisr-test'
    env = dict(_env(), JUPYTER_RUNTIME_DIR=str(tmp_path/'runtime'), JUPYTER_CONFIG_DIR=str(tmp_path/'config'),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path/'workspaces'))
    with open(tmp_path/'lab.log', 'w') as out:
        proc = subprocess.Popen(args + [f'--port={port}', '--ServerApp.port_retries=0', '--no-browser', f'--IdentityProvider.token={token}'],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base, status, deadline = f'http://127.0.0.1:{port}', None, time.time() + 180
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=5) as resp: status = json.load(resp); break
            except OSError: time.sleep(1)
        assert status is not None, f'no answer (exit {proc.poll()}):\n' + (tmp_path/'lab.log').read_text()[-3000:]
        assert 'started' in status
        with urllib.request.urlopen(f'{base}/api/contents?token={token}', timeout=30) as resp:
            names = {f['name'] for f in json.load(resp)['content']}
        assert {'index.ipynb', '00_core.ipynb'} <= names                # the notebook folder is nbs/
        with urllib.request.urlopen(f'{base}/lab?token={token}', timeout=30) as resp:
            assert resp.status == 200 and 'JupyterLab' in resp.read().decode()
    finally:
        os.kill(proc.pid, signal.SIGTERM)                             # stop it by its PID
        try: proc.wait(timeout=30)
        except subprocess.TimeoutExpired: os.kill(proc.pid, signal.SIGKILL); proc.wait(timeout=10)
    assert proc.returncode is not None
    with socket.socket() as s: assert s.connect_ex(('127.0.0.1', port)) != 0   # nothing listens any more

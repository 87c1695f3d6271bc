"""Nothing left in the temporary folder: what the demo makes there by default (`process` without `out_dir`, `build_app`
without `work_dir`, the server's upload folder) is removed when the process ends. Notebooks 01 and 11 remove their own
temporary folder in their last cell."""
import os, subprocess, sys, textwrap

PREFIXES = ('realiisr_sr_', 'realiisr_demo_', 'realiisr_uploads_')

SCRIPT = textwrap.dedent(f'''
    import sys, tempfile
    from pathlib import Path
    from realiisr_lite.app import _private_upload_folder, build_app, load_model, process
    from realiisr_lite.data import ThermalSceneSynth, degrade, save_thermal
    from realiisr_lite.inference import RealIISR
    from realiisr_lite.train import micro_config
    src = Path(sys.argv[1])
    RealIISR(micro_config()).save_pretrained(src/'micro')
    hr, _ = ThermalSceneSynth(64)(0)
    save_thermal(degrade(hr, 'defocus', seed=0)[0], src/'lr.png')
    res = process(src/'lr.png', None, load_model(src/'micro', 'cpu'), mode='greedy')   # no out_dir
    demo = build_app({{'micro': src/'micro'}}, device='cpu')                              # no work_dir (examples in it)
    _private_upload_folder()                                                            # what launch() does
    names = [p.name for p in Path(tempfile.gettempdir()).iterdir()]
    print('made:', [pre for pre in {PREFIXES!r} if any(n.startswith(pre) for n in names)])
    assert Path(res['download']).is_file()
''')


def test_demo_leaves_no_temp_folders(tmp_path):
    "A process that runs `process`, `build_app` and the upload folder on their defaults leaves no realiisr_* folder behind."
    tmp, src = tmp_path/'tmp', tmp_path/'src'
    tmp.mkdir(); src.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), OMP_NUM_THREADS='1', MPLBACKEND='Agg', GRADIO_ANALYTICS_ENABLED='False')
    env.pop('GRADIO_TEMP_DIR', None)
    r = subprocess.run([sys.executable, '-c', SCRIPT, str(src)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f'made: {list(PREFIXES)}' in r.stdout, r.stdout                  # the run made all three ...
    left = sorted(p.name for p in tmp.iterdir() if p.name.startswith('realiisr_'))
    assert left == [], left                                                  # ... and none is left

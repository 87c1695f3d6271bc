"""The Gradio demo, tested like a user: through its API with gradio_client, and in a real browser (Chromium via Playwright).

The app runs in this process on a free port with small random models (`micro_config`) offered by name, so the tests
need neither the bundled weights nor the network. A visitor can only name an offered model: paths, `../`, and real
model folders outside the offered set are refused with a message naming no path. The browser test skips outside CI
when Chromium is missing; under CI it must run. The classroom load test is in test_app_load.py (slow)."""
import json, logging, os, re, shutil, socket, tempfile, time
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from realiisr_lite.core import in_ci

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')     # no calls home from the test server

CHROMIUM = os.environ.get('REALIISR_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-extensions']
# Screenshots go to $REALIISR_ARTIFACTS (e.g. a CI artifact folder) when set, and always to $TMP/demo_screenshot.png.
ARTIFACTS = os.environ.get('REALIISR_ARTIFACTS')
# The micro models follow the MSE design (`tiny-mse`): a decoder with a fidelity path, expected decoding, w = 1.
MSE_DESIGN = {'vqvae.decoder': 'conv', 'vqvae.fidelity': True, 'decode': 'expected', 'fidelity': 1.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    "Micro model folders of the MSE design ('other': micro's weights with a fidelity path that acts), LR images (40×32: 8-bit, 16-bit, °C), bad files."
    from realiisr_lite.inference import RealIISR, load_pretrained
    from realiisr_lite.train import micro_config
    from realiisr_lite.data import ThermalSceneSynth, degrade, save_thermal
    from realiisr_lite.core import colorize
    d = tmp_path_factory.mktemp('app')
    torch.manual_seed(0)
    for name in ('micro', 'outside'): RealIISR(micro_config(**MSE_DESIGN)).save_pretrained(d/name)   # 'outside': not offered
    other = load_pretrained(d/'micro')                  # the same weights, but the fidelity path's zero-initialised
    for f in other.vqvae.fidelity.fuse: torch.nn.init.normal_(f.net[-1].weight, std=0.3)   # last convs made to act
    other.save_pretrained(d/'other')
    RealIISR(micro_config(**{**MSE_DESIGN, 'vqvae.fidelity': False})).save_pretrained(d/'nofid')    # no fidelity path at all
    hr, _ = ThermalSceneSynth((128, 160))(3)
    lr, _ = degrade(hr, 'defocus', seed=3)
    save_thermal(lr, d/'street_lr.png'); save_thermal(lr, d/'street_lr16.png', bit_depth=16)
    lr_c = (-10 + 25 * lr.reshape(lr.shape[-2:]).numpy()).astype(np.float32)    # a temperature map, °C
    Image.fromarray(lr_c).save(d/'street_lr_c.tif')
    Image.fromarray((-10 + 25 * hr.reshape(hr.shape[-2:]).numpy()).astype(np.float32)).save(d/'street_hr_c.tif')
    save_thermal(torch.rand(1, 128, 8), d/'tall_lr.png')                                   # 8×128 LR → 32×512 SR
    (d/'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 2)
    Image.fromarray(colorize(torch.rand(32, 32), 'iron')).save(d/'palette.png')
    (d/'notes.txt').write_text('not an image')
    return dict(model=d/'micro', other=d/'other', outside=d/'outside', nofid=d/'nofid', lr=d/'street_lr.png',
                lr16=d/'street_lr16.png', lr_c=d/'street_lr_c.tif', hr_c=d/'street_hr_c.tif', lr_c_values=lr_c,
                tall=d/'tall_lr.png', corrupt=d/'corrupt.png', palette=d/'palette.png', txt=d/'notes.txt')


@pytest.fixture(scope='module')
def server(files):
    "The app served in this process on a free port; closed at the end."
    from realiisr_lite.app import build_app
    threads = torch.get_num_threads()
    torch.set_num_threads(1)            # tiny tiles: one thread is faster than several on a shared CPU
    demo = build_app({'micro': files['model'], 'other': files['other'], 'nofid': files['nofid']}, device='cpu')
    port = _free_port()
    demo.launch(server_name='127.0.0.1', server_port=port, prevent_thread_lock=True, quiet=True)
    try: yield f'http://127.0.0.1:{port}/'
    finally:
        demo.close(); torch.set_num_threads(threads)


def _predict(client, path, ref=None, model='micro', cmap='iron', mode='greedy', seed=0, adain=True, overlap=1, row=40,
             fidelity=1.0):
    from gradio_client import handle_file
    return client.predict(handle_file(str(path)), handle_file(str(ref)) if ref else None, model, cmap, mode, seed, adain,
                          overlap, row, fidelity, api_name='/super_resolve')


def _values_row(table: str, name: str) -> list[str]:
    "The cells of one row of the values table (Markdown)."
    return next([c.strip().strip('*') for c in l.strip('|').split('|')] for l in table.splitlines() if l.startswith(f'| {name} |'))


def test_api(server, files):
    "An LR image in: a slider pair 4× the size, a profile plot, per-scale images, a download; bad files: a message."
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    from realiisr_lite.data import load_thermal
    client = Client(server, verbose=False)
    slider, pseudo, plot, gallery, summary, download, row, uncertainty, values = _predict(client, files['lr'])
    before, after = (Image.open(p) for p in slider)
    assert before.size == after.size == (160, 128)                      # 40×32 LR → 160×128
    w, h = Image.open(pseudo).size                                      # pseudo-colour view, enlarged for the screen
    assert w % 160 == 0 and w // 160 == h // 128 and h % 128 == 0       # 8-bit: no colour bar
    u = Image.open(uncertainty)                                         # the uncertainty map: the SR's shape + a colour bar
    assert u.mode == 'RGB' and u.size[1] == h and u.size[0] > w and np.asarray(u).std() > 0
    assert 'uncertainty: mean' in summary and '8-bit picture' in values
    assert plot and plot.get('type') == 'matplotlib' and plot.get('plot'), plot
    # per scale: its image beside what the tokens so far add, with a colour bar; the caption says how much
    assert [g['caption'].split(', adding ')[0] for g in gallery] == [f'scale {k}: {p}×{p} tokens'
                                                                     for k, p in enumerate((1, 2, 3, 4), 1)]
    assert all(float(g['caption'].split(', adding ')[1].split()[0]) >= 0 for g in gallery)
    assert Image.open(gallery[-1]['image']).size[0] > 2 * 160                 # image, gap, detail map, colour bar
    assert '40×32 → 160×128' in summary and row == 40
    assert load_thermal(download)[1]['bit_depth'] == 8
    for bad, why in ((files['corrupt'], 'not a readable image'), (files['palette'], 'pseudo-colour')):
        with pytest.raises(AppError, match=why): _predict(client, bad)
    *_, summary16, download16, _, _, values16 = _predict(client, files['lr16'], mode='sampling', seed=3)   # still serving
    assert load_thermal(download16)[1]['bit_depth'] == 16 and 'seed 3' in summary16



def test_api_names(server):
    "The API names every input and output, lists the offered models as choices (no free-text path), and ref_file is optional."
    from gradio_client import Client
    api = Client(server, verbose=False).view_api(return_format='dict', print_info=False)
    assert list(api['named_endpoints']) == ['/super_resolve'] and not api['unnamed_endpoints']
    ep = api['named_endpoints']['/super_resolve']
    params = {p['parameter_name']: p for p in ep['parameters']}
    assert list(params) == ['lr_file', 'ref_file', 'model', 'cmap', 'mode', 'seed', 'adain', 'overlap', 'row', 'fidelity']
    assert not params['lr_file']['parameter_has_default']                              # the one required input
    assert all(p['parameter_has_default'] for n, p in params.items() if n != 'lr_file'), params
    assert params['ref_file']['parameter_default'] is None
    assert params['model']['type']['enum'] == ['micro', 'other', 'nofid'] and params['model']['parameter_default'] == 'micro'
    assert not [p for p in ep['parameters'] if p['component'] == 'Textbox']          # nowhere to type a path
    labels = [r['label'] for r in ep['returns']]
    assert len(labels) == 9 and 'summary' in labels and all(l and not re.match(r'(value|parameter)_\d+$', l) for l in labels), labels
    assert labels[7].startswith('uncertainty') and ep['returns'][7]['component'] == 'Image', ep['returns'][7]
    # the defaults are the default model's own settings (micro_config: expected decoding, w = 1, no AdaIN)
    assert (params['mode']['parameter_default'], params['fidelity']['parameter_default'], params['adain']['parameter_default']) == \
        ('expected', 1.0, False)
    assert params['fidelity']['type']['description'] == 'numeric value between 0 and 1', params['fidelity']
    assert str(4 * (320 * 256 // 8) - 1) in params['row']['type']['description']         # any allowed result's height


def _message(e) -> str:
    return str(e.value if hasattr(e, 'value') else e)


@pytest.mark.parametrize('name', ['/etc/passwd', '../../', '../../etc/passwd', 'OUTSIDE', 'MICRO_PATH', 'micro/../other', ''])
def test_model_by_name_only(server, files, name):
    "A request naming a path, `../`, or a real model folder (offered or not) instead of a name is refused, and the message names no path."
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    name = {'OUTSIDE': str(files['outside']), 'MICRO_PATH': str(files['model'])}.get(name, name)
    with pytest.raises(AppError) as e: _predict(Client(server, verbose=False), files['lr'], model=name)
    msg = _message(e)
    assert msg == 'model: choose one of micro, other, nofid', msg
    assert '/' not in msg and str(files['model'].parent) not in msg and 'passwd' not in msg


def test_model_offered_by_name_works(server, files):
    "The second offered model, chosen by name, serves the request; the summary says which model ran."
    from gradio_client import Client
    *_, summary, download, _, _, _ = _predict(Client(server, verbose=False), files['lr'], model='other')
    assert 'model **other**' in summary and Image.open(download).size == (160, 128)


def test_fidelity_changes_the_result(server, files):
    "`fidelity` reaches the decoder: for a model whose fidelity path acts, w = 0 is the decoder without the path, w = 0.5 and 1 differ."
    from gradio_client import Client
    client = Client(server, verbose=False)
    sr = lambda model, w: np.asarray(Image.open(_predict(client, files['lr'], model=model, mode='greedy', adain=False,
                                                         fidelity=w)[5]), np.float64)
    w0, w_half, w1 = (sr('other', w) for w in (0., 0.5, 1.))
    no_path = sr('micro', 1.)                           # the same weights with the zero-initialised path: it adds nothing
    np.testing.assert_array_equal(w0, no_path)
    assert np.abs(w1 - w0).mean() > 1 and np.abs(w_half - w1).mean() > 0.5, (np.abs(w1 - w0).mean(), np.abs(w_half - w1).mean())
    summary = _predict(client, files['lr'], model='other', fidelity=0.5)[4]
    assert 'fidelity w = 0.50' in summary, summary
    from gradio_client.exceptions import AppError
    for bad, why in ((1.5, 'greater than maximum value 1'), (-0.1, 'less than minimum value 0')):   # outside [0, 1]: a message
        with pytest.raises(AppError) as e: _predict(client, files['lr'], model='other', fidelity=bad)
        assert _message(e).startswith('fidelity w:') and why in _message(e), _message(e)


def test_celsius_upload_downloads_celsius(server, files):
    "A float °C upload: a float32 TIFF in °C within the upload's range, a colour bar, and a table in °C (with the HR's row)."
    from gradio_client import Client
    from realiisr_lite.data import read_description
    client = Client(server, verbose=False)
    slider, pseudo, plot, gallery, summary, download, row, uncertainty, values = _predict(client, files['lr_c'], files['hr_c'])
    im = Image.open(download)
    t = np.asarray(im)
    assert Path(download).name == 'street_lr_c_sr_x4.tif' and (im.format, im.mode, t.dtype, t.shape) == ('TIFF', 'F', np.float32, (128, 160))
    lo, hi = float(files['lr_c_values'].min()), float(files['lr_c_values'].max())
    assert lo - 1e-3 <= t.min() and t.max() <= hi + 1e-3 and t.max() - t.min() > 1, (t.min(), t.max(), lo, hi)   # °C, not [0, 1]
    rec = read_description(download)
    assert rec['output']['bits'] == 'float' and rec['model']['offered_as'] == 'micro' and 'path' not in rec['model']
    assert str(files['model']) not in json.dumps(rec)                                 # no server path in the file
    assert 'float32 TIFF in °C out' in summary, summary
    assert '| in °C |' in values, values
    sr_row, hr_row = _values_row(values, 'Real-IISR'), _values_row(values, 'HR')
    assert abs(float(sr_row[1]) - t.min()) < 0.006 and abs(float(sr_row[2]) - t.max()) < 0.006, (sr_row, t.min(), t.max())
    t_hr = np.asarray(Image.open(files['hr_c']))                                      # the reference, read over its whole range
    assert abs(float(hr_row[1]) - t_hr.min()) < 0.006 and abs(float(hr_row[2]) - t_hr.max()) < 0.006, (hr_row, t_hr.min(), t_hr.max())
    w, h = Image.open(pseudo).size
    assert h % 128 == 0 and w > h * 160 // 128                                        # the pseudo-colour view has its colour bar
    assert plot.get('type') == 'matplotlib'


def test_16bit_upload_downloads_counts(server, files):
    "A 16-bit upload: a 16-bit PNG in the upload's counts, and a table in counts."
    from gradio_client import Client
    from realiisr_lite.data import load_thermal
    *_, summary, download, _, _, values = _predict(Client(server, verbose=False), files['lr16'])
    im = Image.open(download); a = np.asarray(im)
    lr = np.asarray(Image.open(files['lr16']))
    _, meta = load_thermal(files['lr16'])
    lo, hi = meta['norm_range']                                                       # the upload's 1st–99th percentile counts
    assert im.mode.startswith('I;16') and lr.min() <= a.min() and a.max() <= hi + 1 and a.min() >= lo - 1, (a.min(), a.max(), lo, hi)
    assert '16-bit PNG of counts out' in summary and '| in counts |' in values, (summary, values)


def test_model_without_fidelity_path(files, tmp_path):
    "A model without a fidelity path: the page disables the slider with a note, and a request's w has no effect."
    from realiisr_lite.app import build_app, process, load_model, FIDELITY_NONE
    demo = build_app({'nofid': files['nofid'], 'micro': files['model']}, device='cpu', examples=False, work_dir=tmp_path/'app')
    slider = next(b for b in demo.blocks.values() if getattr(b, 'elem_id', None) == 'fidelity')
    assert slider.interactive is False and slider.info == FIDELITY_NONE
    model = load_model(files['nofid'], 'cpu')
    a, b = (process(files['lr'], None, model, fidelity=w, mode='greedy', out_dir=tmp_path/f'w{w}') for w in (0., 1.))
    assert a['fidelity'] is None and torch.equal(a['sr'], b['sr']) and 'no fidelity path' in a['summary']
    demo2 = build_app({'micro': files['model']}, device='cpu', examples=False, work_dir=tmp_path/'app2')
    slider2 = next(b for b in demo2.blocks.values() if getattr(b, 'elem_id', None) == 'fidelity')
    assert slider2.interactive is not False and slider2.value == 1.0


def test_forged_file_paths_refused(server, files):
    "A raw request that puts a server path (not an upload) in a file input is refused without echoing the path."
    import httpx
    url = server + 'gradio_api/call/super_resolve'
    for path in ('/etc/passwd', str(files['lr']), '../../etc/hostname'):
        r = httpx.post(url, json={'data': [{'path': path, 'meta': {'_type': 'gradio.FileData'}}, None, 'micro', 'iron',
                                           'greedy', 0, True, 1, 40, 1.0]}, timeout=30)
        assert r.status_code == 200, r.text
        events = httpx.get(f"{url}/{r.json()['event_id']}", timeout=60).text
        assert 'event: error' in events and 'event: complete' not in events, events
        assert 'passwd' not in events and 'hostname' not in events and str(files['lr'].parent) not in events, events


def test_profile_row_sized_to_result(server, files):
    "Row 256 of a 512-px-tall result is accepted (the slider is not capped at 255) and the profile is drawn there."
    from gradio_client import Client
    slider, pseudo, plot, gallery, summary, download, row, *_ = _predict(Client(server, verbose=False), files['tall'], row=256)
    assert row == 256 and '8×128 → 32×512' in summary and Image.open(download).size == (32, 512)
    *_, row_clipped, _, _ = _predict(Client(server, verbose=False), files['lr'], row=1000)   # beyond a 128-px result: clipped
    assert row_clipped == 127
    # past even the slider's own range (a browser that uploaded before the page narrowed it): clamped, not rejected
    *_, row_far, _, _ = _predict(Client(server, verbose=False), files['lr'], row=10 ** 9)
    assert row_far == 127


def test_rejections_log_one_line(server, files, caplog, capfd):
    "Each rejected upload (corrupt, pseudo-colour, wrong type) is one log line naming the file, with no traceback anywhere."
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    client = Client(server, verbose=False)
    capfd.readouterr()
    with caplog.at_level(logging.INFO, logger='realiisr_lite.app'):
        for bad, why in ((files['corrupt'], 'corrupt.png: not a readable image'), (files['palette'], 'palette.png: pseudo-colour'),
                         (files['txt'], 'Invalid file type')):
            caplog.clear()
            with pytest.raises(AppError, match=why) as e: _predict(client, bad)
            assert not re.search(r'(^|[\s\'"(])/\w', _message(e)) and 'Error' not in _message(e), _message(e)   # no path, no OS text
            lines = [r.getMessage() for r in caplog.records if r.name == 'realiisr_lite.app']
            assert len(lines) == 1 and 'rejected' in lines[0] and '\n' not in lines[0], lines
            assert bad.name in lines[0] or 'Invalid file type' in lines[0], lines
    out, err = capfd.readouterr()
    assert 'Traceback' not in out + err, err[-2000:]


def test_exposure_notice(files, capsys, monkeypatch):
    "Serving beyond this machine prints one notice line: models, limits, queue; on loopback nothing is printed."
    import realiisr_lite.app as app
    from gradio.utils import get_upload_folder
    monkeypatch.setenv('GRADIO_TEMP_DIR', get_upload_folder())    # launch() would give the process its own (the server above uses this one)
    for exposed in (False, True):
        monkeypatch.setattr(app, 'is_loopback', lambda host, exposed=exposed: not exposed)
        demo = app.launch('127.0.0.1', _free_port(), {'micro': files['model'], 'other': files['other']}, device='cpu',
                          examples=False, block=False, max_file_mb=5, queue_size=9)
        try: out = capsys.readouterr().out
        finally: demo.close()
        notice = [l for l in out.splitlines() if 'NOTICE' in l]
        if not exposed: assert notice == [], out; continue
        assert len(notice) == 1, out
        for part in ('the network at 127.0.0.1', 'micro, other', '5 MB', f'{320 * 256:,} LR pixels', '9 waiting'):
            assert part in notice[0], notice[0]
        assert str(files['model']) not in notice[0]


def test_cli_model_arguments(files, tmp_path, capsys):
    "`realiisr-lite demo` refuses a bad --model/--models-dir in one line (exit 2) before serving; the registry offers names."
    from realiisr_lite.cli import main
    from realiisr_lite.app import model_registry
    for argv, why in ((['--model', f'x={tmp_path/"nowhere"}'], 'no model folder at'), (['--models-dir', str(tmp_path)], 'no model folders in it'),
                      (['--model', f'a={files["model"]}', '--model', f'a={files["other"]}'], "'a' is used twice"),
                      (['--queue-size', '0'], '--queue-size')):
        assert main(['demo', '--port', str(_free_port())] + argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and why in err, err
    reg = model_registry([f'mine={files["model"]}', str(files['other'])], models_dir=None)
    assert list(reg) == ['mine', 'other'] and reg['mine'] == files['model'].resolve()

def _chromium() -> str:
    if Path(CHROMIUM).exists(): return CHROMIUM
    msg = f"no Chromium at {CHROMIUM} (apt install chromium, or set REALIISR_CHROMIUM)"
    if in_ci(): pytest.fail(msg + ": CI must run the browser test")
    pytest.skip(msg)


@pytest.mark.browser
def test_browser(server, files, tmp_path):
    "Open the page in headless Chromium, upload an image, run, wait for the slider and the profile plot, screenshot."
    exe = _chromium()
    from playwright.sync_api import sync_playwright, expect
    shot = Path(ARTIFACTS or tmp_path)/'demo_screenshot.png'
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1440, 'height': 1000})
            page.set_default_timeout(60_000); expect.set_options(timeout=60_000)     # a shared CPU can be slow
            page.goto(server, wait_until='domcontentloaded')
            expect(page.get_by_text('Thermal image super-resolution ×4')).to_be_visible()
            expect(page.locator('#model-choice input')).to_have_value('micro')             # models by name ...
            expect(page.locator('textarea')).to_have_count(0)                              # ... and no path box
            expect(page.get_by_text('checkpoint', exact=False)).to_have_count(0)
            upload = page.locator('#lr-upload input[type=file]')
            upload.set_input_files(str(files['corrupt']))                                  # a bad file first
            expect(page.locator('#lr-info')).to_contain_text('not a readable image')
            page.locator('#run-button').click()
            expect(page.locator('.toast-body').first).to_contain_text('not a readable image')
            page.locator('.toast-body button, .toast-close').first.click()
            page.locator('#lr-upload button[aria-label="Clear"]').click()
            upload.set_input_files(str(files['lr']))
            expect(page.locator('#lr-info')).to_contain_text('40×32 px')                 # preview and size first
            expect(page.locator('#lr-preview img')).to_be_visible()
            page.locator('#run-button').click()
            expect(page.locator('#sr-slider img').first).to_be_visible()
            expect(page.locator('#profile-plot img')).to_be_visible()
            expect(page.locator('#summary')).to_contain_text('160×128')
            expect(page.locator('#summary')).to_contain_text('model micro')
            expect(page.locator('#scales img')).to_have_count(4)
            expect(page.locator('#download a').first).to_have_attribute('href', re.compile(r'street_lr_sr_x4\.png$'))
            expect(page.locator('#uncertainty img')).to_be_visible()                     # where the model guesses
            expect(page.locator('#uncertainty-caption')).to_contain_text('guessing')
            expect(page.locator('#values')).to_contain_text('8-bit picture')
            fid = page.locator('#fidelity input[type=number]')                           # the model's own w, adjustable
            expect(fid).to_have_value('1'); expect(fid).to_be_enabled()
            expect(page.locator('#decoding input[value=expected]')).to_be_checked()      # the model's own decoding
            page.evaluate('window.scrollTo(0, 0)'); time.sleep(0.5)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            page.locator('#model-choice input').click(); page.get_by_role('option', name='nofid').click()   # no fidelity path:
            expect(fid).to_be_disabled()                                                 # the slider is disabled ...
            expect(page.locator('#fidelity')).to_contain_text('no fidelity path')         # ... with a note
            page.locator('#model-choice input').click(); page.get_by_role('option', name='micro').click()
            expect(fid).to_be_enabled(); expect(fid).to_have_value('1')
            page.locator('#lr-upload button[aria-label="Clear"]').click()                # a temperature map in °C
            upload.set_input_files(str(files['lr_c']))
            expect(page.locator('#lr-info')).to_contain_text('40×32 px')
            page.locator('#ref-upload input[type=file]').set_input_files(str(files['hr_c']))
            page.locator('#run-button').click()
            expect(page.locator('#values')).to_contain_text('in °C')
            expect(page.locator('#values')).to_contain_text('HR')
            expect(page.locator('#summary')).to_contain_text('float32 TIFF in °C out')
            expect(page.locator('#download a').first).to_have_attribute('href', re.compile(r'street_lr_c_sr_x4\.tif$'))
            page.evaluate('window.scrollTo(0, 0)'); time.sleep(0.5)
            page.screenshot(path=str(shot.with_name('demo_screenshot_celsius.png')), full_page=True)
            page.locator('#ref-upload button[aria-label="Clear"]').click()
            page.get_by_text('car + person, motion blur, 8-bit').click()                 # an example with its HR
            expect(page.locator('#ref-upload')).to_contain_text('scene4_motion_8bit_hr')
            expect(page.locator('#lr-info')).to_contain_text('64×64 px')
            page.locator('#run-button').click()
            expect(page.locator('#summary')).to_contain_text('PSNR')
            expect(page.locator('#summary')).to_contain_text('64×64 → 256×256')
            page.evaluate('window.scrollTo(0, 0)'); time.sleep(0.5)
            page.screenshot(path=str(shot.with_name('demo_screenshot_example.png')), full_page=True)
        finally: browser.close()
    assert shot.stat().st_size > 10_000
    for f in (shot, shot.with_name('demo_screenshot_example.png'), shot.with_name('demo_screenshot_celsius.png')):
        shutil.copy(f, Path(tempfile.gettempdir())/f.name)


def test_missing_bundled_model(monkeypatch, tmp_path):
    "Without the bundled weights the page still builds, says what to do, and requests end with that message."
    import realiisr_lite.app as app
    monkeypatch.setattr(app, 'bundled_weights_dir', lambda name='tiny': tmp_path/'no_weights')
    with pytest.raises(app.DemoInputError, match='bundled model'): app.load_model(None)
    demo = app.build_app(None, device='cpu', examples=False, work_dir=tmp_path/'app')
    notes = [b.value for b in demo.blocks.values() if getattr(b, 'elem_id', None) == 'model-note']
    assert notes and 'No model loaded' in notes[0] and 'realiisr-lite train' in notes[0]
    with pytest.raises(app.DemoInputError, match='bundled model'): app.process(tmp_path/'x.png', model=None)


def test_reference_metrics_show_lpips(files, tmp_path, monkeypatch):
    "With an HR reference the summary's table has LPIPS beside PSNR/SSIM; without the metric's weights, one line says why."
    from realiisr_lite import metrics
    from realiisr_lite.app import process, load_model
    from realiisr_lite.data import ThermalSceneSynth, degrade, save_thermal
    hr, _ = ThermalSceneSynth((128, 160))(3)
    lr, _ = degrade(hr, 'defocus', seed=3)
    save_thermal(lr, tmp_path/'lr.png'); save_thermal(hr, tmp_path/'hr.png')
    model = load_model(files['model'], 'cpu')
    if not metrics.iqa_weights_missing('lpips'):
        res = process(tmp_path/'lr.png', tmp_path/'hr.png', model, mode='greedy', out_dir=tmp_path/'a')
        assert '| PSNR (dB) ↑ | SSIM ↑ | LPIPS ↓ |' in res['summary']
        assert all(isinstance(v['lpips'], float) and 0 <= v['lpips'] < 1 for v in res['metrics'].values())
    elif in_ci(): pytest.fail("CI must have the LPIPS weights (../shared/weights)")
    monkeypatch.setattr(metrics, 'weights_dirs', lambda: [])
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'hub'))
    monkeypatch.setattr(metrics, '_IQA_CACHE', {})
    res = process(tmp_path/'lr.png', tmp_path/'hr.png', model, mode='greedy', out_dir=tmp_path/'b')
    assert all(v['lpips'].startswith('not available') for v in res['metrics'].values())
    assert '| n/a |' in res['summary'] and res['summary'].count('LPIPS not available') == 1


def test_huge_upload_refused_before_decoding(huge_png, no_decoding):
    "A 6000×6000 upload (small on disk) is refused from its header in under 0.5 s, with the size rule's words and no path."
    from realiisr_lite.app import read_upload, user_message, DEMO_MAX_LR_PIXELS
    from realiisr_lite.data import ThermalImageError
    t0 = time.perf_counter()
    with pytest.raises(ThermalImageError) as e: read_upload(huge_png)
    assert time.perf_counter() - t0 < 0.5
    assert user_message(e.value) == (f"{huge_png.name}: image 6000x6000 is too large (36,000,000 pixels, "
                                     f"the limit is {DEMO_MAX_LR_PIXELS:,})"), user_message(e.value)

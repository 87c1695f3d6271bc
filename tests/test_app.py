"""The Gradio demo, tested like a user: through its API with gradio_client, and in a real browser (Chromium via Playwright).

The app runs in this process on a free port with a small random model (`micro_config`), so the tests need neither the
bundled weights nor the network. The browser test skips outside CI when Chromium is missing; under CI it must run."""
import os, re, shutil, socket, tempfile, time
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    "A micro model folder, an LR image (40×32, 8-bit), a 16-bit LR image, a corrupt PNG and a pseudo-colour PNG."
    from realiisr_lite.model import RealIISR
    from realiisr_lite.train import micro_config
    from realiisr_lite.data import ThermalSceneSynth, degrade, save_thermal
    from realiisr_lite.core import colorize
    d = tmp_path_factory.mktemp('app')
    torch.manual_seed(0)
    RealIISR(micro_config()).save_pretrained(d/'micro')
    hr, _ = ThermalSceneSynth((128, 160))(3)
    lr, _ = degrade(hr, 'defocus', seed=3)
    save_thermal(lr, d/'street_lr.png'); save_thermal(lr, d/'street_lr16.png', bit_depth=16)
    (d/'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 2)
    Image.fromarray(colorize(torch.rand(32, 32), 'iron')).save(d/'palette.png')
    return dict(model=d/'micro', lr=d/'street_lr.png', lr16=d/'street_lr16.png', corrupt=d/'corrupt.png',
                palette=d/'palette.png')


@pytest.fixture(scope='module')
def server(files):
    "The app served in this process on a free port; closed at the end."
    from realiisr_lite.app import build_app
    threads = torch.get_num_threads()
    torch.set_num_threads(1)            # tiny tiles: one thread is faster than several on a shared CPU
    demo = build_app(files['model'], device='cpu')
    port = _free_port()
    demo.launch(server_name='127.0.0.1', server_port=port, prevent_thread_lock=True, quiet=True)
    try: yield f'http://127.0.0.1:{port}/'
    finally:
        demo.close(); torch.set_num_threads(threads)


def _predict(client, path, ref=None, cmap='iron', mode='greedy', seed=0, adain=True, overlap=1, row=40):
    from gradio_client import handle_file
    return client.predict(handle_file(str(path)), handle_file(str(ref)) if ref else None, '', cmap, mode, seed, adain,
                          overlap, row, api_name='/super_resolve')


def test_api(server, files):
    "An LR image in: a slider pair 4× the size, a profile plot, per-scale images, a download; bad files: a message."
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    from realiisr_lite.data import load_thermal
    client = Client(server, verbose=False)
    slider, pseudo, plot, gallery, summary, download, row = _predict(client, files['lr'])
    before, after = (Image.open(p) for p in slider)
    assert before.size == after.size == (160, 128)                      # 40×32 LR → 160×128
    w, h = Image.open(pseudo).size                                      # pseudo-colour view, enlarged for the screen
    assert w % 160 == 0 and w // 160 == h // 128 and h % 128 == 0
    assert plot and plot.get('type') == 'matplotlib' and plot.get('plot'), plot
    assert [g['caption'] for g in gallery] == [f'scale {k}: {p}×{p} tokens' for k, p in enumerate((1, 2, 3, 4), 1)]
    assert '40×32 → 160×128' in summary and row == 40
    assert load_thermal(download)[1]['bit_depth'] == 8
    for bad, why in ((files['corrupt'], 'not a readable image'), (files['palette'], 'pseudo-colour')):
        with pytest.raises(AppError, match=why): _predict(client, bad)
    *_, summary16, download16, _ = _predict(client, files['lr16'], mode='sampling', seed=3)   # still serving
    assert load_thermal(download16)[1]['bit_depth'] == 16 and 'seed 3' in summary16


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
            page.set_default_timeout(60_000)
            page.goto(server, wait_until='domcontentloaded')
            expect(page.get_by_text('Thermal image super-resolution ×4')).to_be_visible()
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
            expect(page.locator('#scales img')).to_have_count(4)
            expect(page.locator('#download a').first).to_have_attribute('href', re.compile(r'street_lr_sr_x4\.png$'))
            page.evaluate('window.scrollTo(0, 0)'); time.sleep(0.5)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
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
    for f in (shot, shot.with_name('demo_screenshot_example.png')): shutil.copy(f, Path(tempfile.gettempdir())/f.name)


def test_missing_bundled_model(monkeypatch, tmp_path):
    "Without the bundled weights the page still builds, says what to do, and requests end with that message."
    import realiisr_lite.app as app
    monkeypatch.setattr(app, 'bundled_weights_dir', lambda name='tiny': tmp_path/'no_weights')
    with pytest.raises(app.DemoInputError, match='bundled model'): app.load_model(None)
    demo = app.build_app(None, device='cpu', examples=False)
    notes = [b.value for b in demo.blocks.values() if getattr(b, 'elem_id', None) == 'model-note']
    assert notes and 'No model loaded' in notes[0] and 'realiisr-lite train' in notes[0]
    with pytest.raises(app.DemoInputError, match='bundled model'): app.process(tmp_path/'x.png', model=None)

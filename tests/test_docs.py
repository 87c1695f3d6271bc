"""`make docs` (scripts/build_docs.py): the course as a static site. A build of the index and one chapter is checked on
disk (every local link resolves, figures are inline) and in Chromium over HTTP, as a published site is read: the
index and the chapter show their figures, and the links from the learning path to the chapter, from the chapter to
its module's source, and back, work. A second chapter with equations is read in Chromium with every request to
another host blocked, as in a classroom without internet: its math is typeset (no raw `$…$` left), wide tables
scroll, and a heading reached by an #anchor is not hidden under the navigation bar. The browser part skips outside
CI when Chromium is missing; under CI it runs."""
import contextlib, functools, json, os, re, subprocess, sys, threading
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
import pytest
from realiisr_lite.core import in_ci

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get('REALIISR_CHROMIUM', '/usr/bin/chromium')
CHAPTER = '00_core'
MATH_CHAPTER = '06_cac'          # equations in markdown, a wide table, runs in a second


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs')/'site'
    r = subprocess.run([sys.executable, str(ROOT/'scripts'/'build_docs.py'), '--out', str(out), '--only', f'{CHAPTER},{MATH_CHAPTER}'],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def _local_refs(page: Path):
    for url in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
        if not re.match(r'^([a-z][a-z0-9+.-]*:|#|//)', url, re.I): yield url.split('#')[0].split('?')[0]


@pytest.mark.slow
def test_site_on_disk(site):
    assert sorted(p.name for p in site.glob('*.html')) == [f'{CHAPTER}.html', f'{MATH_CHAPTER}.html', 'index.html']
    for page in site.rglob('*.html'):                                # every link inside the site lands on a file
        for url in _local_refs(page): assert (page.parent/url).is_file(), (page.name, url)
    index, chapter = (site/'index.html').read_text(), (site/f'{CHAPTER}.html').read_text()
    assert f'href="{CHAPTER}.html"' in index                         # the learning path links the chapter's page
    assert 'href="https://github.com/realiisr-lite/realiisr_lite/blob/main/nbs/04_var.ipynb"' in index   # not built: the source
    assert 'href="src/core.py.html"' in chapter
    assert 'def line_profile(' in re.sub(r'<[^>]+>', '', (site/'src'/'core.py.html').read_text())
    assert '#| export' not in chapter and '#| hide' not in chapter   # directives are not shown
    # figures inline: the executed notebook's image outputs are in the page as data URIs
    nb = json.loads((site/'notebooks'/f'{CHAPTER}.ipynb').read_text())
    n_figs = sum('image/png' in o.get('data', {}) for c in nb['cells'] for o in c.get('outputs', []))
    assert n_figs >= 1 and chapter.count('src="data:image/png;base64,') >= n_figs
    build = json.loads((site/'build.json').read_text())
    assert all(r['ok'] for r in build['notebooks'].values()) and set(build['notebooks']) == {'index', CHAPTER, MATH_CHAPTER}
    # offline: MathJax is part of the site, and no page loads a script from another host
    assert (site/'mathjax'/'MathJax.js').is_file() and (site/'mathjax'/'fonts'/'HTML-CSS'/'STIX-Web').is_dir()
    for page in site.glob('*.html'):
        html = page.read_text()
        assert 'src="mathjax/MathJax.js?config=' in html, page.name
        assert not re.findall(r'<script[^>]*src="(?:https?:)?//', html), (page.name, re.findall(r'<script[^>]*src="[^"]*"', html))


def _chromium() -> str:
    if Path(CHROMIUM).exists(): return CHROMIUM
    msg = f"no Chromium at {CHROMIUM} (apt install chromium, or set REALIISR_CHROMIUM)"
    if in_ci(): pytest.fail(msg + ": CI must run the browser test")
    pytest.skip(msg)


def _images(page):
    page.wait_for_function('Array.from(document.images).every(i => i.complete)', timeout=60_000)
    return page.eval_on_selector_all('img', 'els => els.map(e => e.naturalWidth)')


@contextlib.contextmanager
def offline_page(site, **page_kw):
    "A Chromium page on the site served from localhost, every other host blocked: yields (page, base URL, blocked URLs)."
    exe = _chromium()
    from playwright.sync_api import sync_playwright
    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base, blocked = f'http://127.0.0.1:{server.server_address[1]}', []

    def only_localhost(route):
        if route.request.url.startswith(base): route.continue_()
        else: blocked.append(route.request.url); route.abort()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, headless=True, args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'])
            try:
                page = browser.new_page(**page_kw)
                page.route('**/*', only_localhost)
                yield page, base, blocked
            finally: browser.close()
    finally: server.shutdown()


@pytest.mark.slow
@pytest.mark.browser
def test_site_in_chromium(site):
    with offline_page(site) as (page, base, _):
        assert page.goto(f'{base}/', wait_until='domcontentloaded').ok          # index.html is the site's front page
        assert 'The learning path' in page.inner_text('body')
        widths = _images(page)
        assert widths and all(w > 0 for w in widths), widths               # the pipeline figure loads
        page.click(f'table a[href="{CHAPTER}.html"]')                       # from the learning path's table
        page.wait_for_url(f'**/{CHAPTER}.html')
        widths = _images(page)
        assert len(widths) >= 1 and all(w > 0 for w in widths), widths
        assert 'Core' in page.title()
        page.click('a.rl-source')                                           # the module's source
        page.wait_for_url('**/src/core.py.html')
        assert 'def line_profile' in page.inner_text('body')
        page.click(f'a[href="../{CHAPTER}.html"]')                          # and back to the chapter
        page.wait_for_url(f'**/{CHAPTER}.html')
        page.click('nav.rl-nav a[href="index.html"] >> nth=0')
        page.wait_for_url('**/index.html')


@pytest.mark.slow
@pytest.mark.browser
def test_math_renders_offline(site):
    with offline_page(site, viewport={'width': 900, 'height': 700}) as (page, base, blocked):
        assert page.goto(f'{base}/{MATH_CHAPTER}.html', wait_until='load').ok
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue && MathJax.Hub.queue.pending === 0 "
                               "&& document.querySelectorAll('.MathJax, .MathJax_Display').length > 0", timeout=90_000)
        n_math = page.eval_on_selector_all('.MathJax, .MathJax_Display', 'els => els.length')
        text = page.eval_on_selector_all('.jp-RenderedMarkdown', 'els => els.map(e => e.innerText).join("\\n")')
        raw = re.findall(r'\$[^$\n]{1,300}\$', text)
        assert n_math >= 10 and not raw, (n_math, raw[:5])                          # every $…$ typeset
        assert page.eval_on_selector_all('.MathJax_Error, merror', 'els => els.length') == 0
        assert not blocked, blocked                                                  # nothing wanted the internet
        # wide tables scroll inside the page instead of running off its right edge
        tables = page.eval_on_selector_all('.jp-RenderedMarkdown table', 'els => els.map(t => getComputedStyle(t).overflowX)')
        assert tables and set(tables) == {'auto'}, tables
        # a heading reached by its anchor is below the sticky navigation bar, not under it
        hid = page.eval_on_selector('.jp-RenderedMarkdown h2[id]', 'h => h.id')
        page.goto(f'{base}/{MATH_CHAPTER}.html#{hid}', wait_until='load')
        page.wait_for_timeout(300)
        top, nav_bottom = page.evaluate("id => [document.getElementById(id).getBoundingClientRect().top, "
                                        "document.querySelector('.rl-nav').getBoundingClientRect().bottom]", hid)
        assert top >= nav_bottom - 1 and top < 400, (top, nav_bottom)

#!/usr/bin/env python
"""Build the course as a static HTML site: every notebook in nbs/ executed on the CPU path the way `nbdev-test` runs
it (IPython shell in nbs/, `slow` and `gpu` cells skipped), rendered with nbconvert; the learning path
(nbs/index.ipynb) is the site's index.

    python scripts/build_docs.py [--out _docs] [--only index,00_core] [--workers 2]

OUT then holds index.html and NAME.html for each notebook (figures inline as data URIs, links between chapters
rewritten to the pages), src/MODULE.py.html (each exported module, highlighted, one anchor per line),
notebooks/NAME.ipynb (the executed notebooks, outputs included), images/, and build.json (per notebook: passed or
its first error, and seconds). Links that point outside the site (README, results/, a chapter left out with --only)
go to the repository (`[project.urls] Repository` in pyproject.toml). A notebook that fails still gets its page,
with the error and a banner; the exit status is then 1. Whatever notebooks nbs/ holds are built: nothing here
lists them.

The site needs no internet: the equations are typeset by a copy of MathJax 2 in OUT/mathjax/, taken from the
`jupyter-server-mathjax` package (a dev dependency; without it the pages fall back to MathJax from a CDN, and the
build says so), and no page loads anything from another host. Wide tables scroll sideways, and a heading reached
by an #anchor link sits below the fixed navigation bar."""
import argparse, html, json, os, re, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_FLAGS = ('slow', 'gpu')
DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+):?\s*(.*)$')
CSS = """<style>
.rl-nav{font:14px/1.5 system-ui,sans-serif;padding:8px 16px;background:#1f2430;color:#eee;position:sticky;top:0;z-index:100}
.rl-nav a{color:#ffcf70;text-decoration:none;margin-right:14px}.rl-nav a:hover{text-decoration:underline}
.rl-nav .rl-chapters{font-size:12px;margin-top:4px}.rl-nav .rl-chapters a{color:#c9d1d9;margin-right:8px}
.rl-nav .rl-here{color:#fff;font-weight:600;margin-right:8px}
.rl-failed{background:#b00020;color:#fff;padding:8px 16px;font:14px system-ui,sans-serif}
.rl-skipped{font:12px system-ui,sans-serif;color:#8a6d3b;margin:2px 0 0 0}
.jp-RenderedHTMLCommon table{display:block;max-width:100%;overflow-x:auto}
html{scroll-padding-top:7em}:target{scroll-margin-top:7em}
</style>
<script>
// an #anchor's heading below the sticky navigation bar, however many lines the bar wraps to
function rlPad(){var n=document.querySelector('.rl-nav');if(n)document.documentElement.style.scrollPaddingTop=(n.offsetHeight+8)+'px';}
window.addEventListener('load',function(){rlPad();if(location.hash){var t=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(t)t.scrollIntoView();}});
window.addEventListener('resize',rlPad);
</script>"""
MATHJAX_CONFIG = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
                    menuSettings: {zoom: "None"}, messageStyle: "none"});
</script>"""
MATHJAX_CONFIG_NAME = 'TeX-AMS-MML_HTMLorMML-full'
MATHJAX_PARTS = ('MathJax.js', 'LICENSE', 'config', 'extensions', 'jax/element', 'jax/input/TeX', 'jax/output/HTML-CSS',
                 'fonts/HTML-CSS/STIX-Web', 'localization/en')
CDN_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>\s*')


def repo_url() -> str:
    "The repository's web address from pyproject.toml, for links that leave the site."
    import tomllib
    urls = tomllib.loads((ROOT/'pyproject.toml').read_text()).get('project', {}).get('urls', {})
    return (urls.get('Repository') or urls.get('Homepage') or '').rstrip('/')


def mathjax_dir() -> Path | None:
    "MathJax 2's files as installed with the project (the `jupyter-server-mathjax` package), or None when it is not installed."
    try: import jupyter_server_mathjax
    except ImportError: return None
    d = Path(jupyter_server_mathjax.__file__).parent/'static'
    return d if (d/'MathJax.js').is_file() and (d/'config'/f'{MATHJAX_CONFIG_NAME}.js').is_file() else None


def copy_mathjax(src: Path, dest: Path) -> None:
    "The parts of MathJax the pages use (TeX input, HTML-CSS output with the STIX web fonts, English), about 3 MB."
    for part in MATHJAX_PARTS:
        s = src/part
        if s.is_dir(): shutil.copytree(s, dest/part, ignore=shutil.ignore_patterns('a11y'))
        elif s.is_file(): (dest/part).parent.mkdir(parents=True, exist_ok=True); shutil.copy(s, dest/part)


def find_notebooks(nbs: Path, only=None) -> list[Path]:
    "The notebooks to build: index first, then by name (whatever nbs/ holds, except _private and .hidden ones)."
    files = sorted((p for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.'))), key=lambda p: (p.stem != 'index', p.name))
    if only:
        missing = set(only) - {p.stem for p in files}
        if missing: raise SystemExit(f"build_docs: no such notebook in {nbs}: {', '.join(sorted(missing))}")
        files = [p for p in files if p.stem in only or p.stem == 'index']       # a site always has its index
    return files


def execute(src: Path, dest: Path, timeout: float | None, env: dict) -> dict:
    "Run one notebook in a fresh Python process (realiisr_lite.course.run_notebook) and save it with its outputs."
    code = ('import sys, json; from realiisr_lite.course import run_notebook; '
            'json.dump(run_notebook(sys.argv[1], save_to=sys.argv[2]), open(sys.argv[3], "w"))')
    with tempfile.TemporaryDirectory() as d:
        res = Path(d)/'result.json'
        try:
            p = subprocess.run([sys.executable, '-c', code, str(src), str(dest), str(res)], capture_output=True, text=True,
                               timeout=timeout, env=env)
            if res.exists(): return json.loads(res.read_text())
            err = f"the notebook's process ended without a result (exit {p.returncode}): " + (p.stderr.strip().splitlines() or [''])[-1]
        except subprocess.TimeoutExpired: err = f'timed out after {timeout} s'
    shutil.copy(src, dest)                                              # the page then shows the code without outputs
    return dict(ok=False, failed_cell=None, error=err, seconds=None)


def directives(src: str) -> dict:
    out = {}
    for line in src.splitlines():
        m = DIRECTIVE.match(line)
        if m: out[m.group(1)] = m.group(2).split()
        elif line.strip(): break
    return out


def title_of(nb) -> str:
    for c in nb.cells:
        if c.cell_type == 'markdown':
            m = re.search(r'^#\s+(.+)$', c.source, re.M)
            if m: return re.sub(r'[`*]', '', m.group(1)).strip()
    return ''


def module_of(nb) -> str | None:
    for c in nb.cells:
        if c.cell_type == 'code':
            d = directives(c.source)
            if 'default_exp' in d and d['default_exp']: return d['default_exp'][0]
    return None


def for_reading(nb):
    "The notebook as a reader should see it: `#| hide` cells out, `#|` directive lines off, skipped cells marked."
    cells = []
    for c in nb.cells:
        if c.cell_type == 'code':
            d = directives(c.source)
            if 'hide' in d: continue
            c.source = '\n'.join(l for l in c.source.splitlines() if not DIRECTIVE.match(l)).strip('\n')
            if not c.source.strip() and not c.get('outputs'): continue
            skipped = [f for f in SKIP_FLAGS if f in d]
            if skipped and not c.get('outputs'):
                c.source = f"# not run in this build (a `{skipped[0]}` cell: run it yourself in the notebook)\n" + c.source
        cells.append(c)
    nb.cells = cells
    return nb


def rewrite_links(page: str, built: set, repo: str) -> str:
    "Chapter links to the chapter pages; other relative links (README, results/, chapters not built) to the repository."
    def fix(m):
        attr, url = m.group(1), html.unescape(m.group(2))
        if re.match(r'^([a-z][a-z0-9+.-]*:|#|//)', url, re.I): return m.group(0)      # absolute, data:, mailto:, anchors
        path, _, anchor = url.partition('#')
        p = Path(path)
        if p.suffix == '.ipynb' and p.stem in built and (p.parent == Path('.') or p.parent.name == 'nbs'):
            new = f'{p.stem}.html' + (f'#{anchor}' if anchor else '')
        elif path.startswith(('images/', 'src/', 'notebooks/')): return m.group(0)   # part of the site
        else:
            target = os.path.normpath(os.path.join('nbs', path))
            if target.startswith('..'): return m.group(0)
            kind = 'tree' if (ROOT/target).is_dir() else 'blob'
            new = f'{repo}/{kind}/main/{target}' + (f'#{anchor}' if anchor else '')
        return f'{attr}="{html.escape(new)}"'
    return re.sub(r'(href)="([^"]*)"', fix, page)


def nav(name: str, pages: list, titles: dict, module: str | None, repo: str, failed: str | None) -> str:
    i = pages.index(name)
    prev = f'<a href="{pages[i - 1]}.html">‹ {pages[i - 1]}</a>' if i > 0 else ''
    nxt = f'<a href="{pages[i + 1]}.html">{pages[i + 1]} ›</a>' if i + 1 < len(pages) else ''
    links = [f'<a href="index.html">realiisr_lite: the course</a>', prev, nxt]
    if module: links.append(f'<a class="rl-source" href="src/{module}.py.html">source: realiisr_lite/{module}.py</a>')
    links.append(f'<a href="notebooks/{name}.ipynb">notebook with outputs</a>')
    if repo: links.append(f'<a href="{repo}/blob/main/nbs/{name}.ipynb">on GitHub</a>')
    chapters = ''.join(f'<span class="rl-here">{p}</span>' if p == name else f'<a href="{p}.html" title="{html.escape(titles[p])}">{p}</a>'
                       for p in pages)
    out = f'<nav class="rl-nav">{"".join(l for l in links if l)}<div class="rl-chapters">{chapters}</div></nav>'
    if failed: out += f'<div class="rl-failed">This notebook failed in the docs build: {html.escape(failed)}</div>'
    return out


def source_page(module: str, chapter: str) -> str:
    "An exported module as a highlighted HTML page (anchors L-1, L-2, ... per line), linked back to its chapter."
    from pygments import highlight
    from pygments.lexers import PythonLexer
    from pygments.formatters import HtmlFormatter
    code = (ROOT/'realiisr_lite'/f'{module}.py').read_text()
    fmt = HtmlFormatter(linenos='table', lineanchors='L', anchorlinenos=True)
    body = highlight(code, PythonLexer(), fmt)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>realiisr_lite/{module}.py</title>{CSS}'
            f'<style>{fmt.get_style_defs(".highlight")} body{{margin:0}} .highlighttable{{margin:12px}} pre{{margin:0}}</style></head>'
            f'<body><nav class="rl-nav"><a href="../index.html">realiisr_lite: the course</a>'
            f'<a href="../{chapter}.html">the notebook that builds it: {chapter}</a>'
            f'<span class="rl-here">realiisr_lite/{module}.py</span></nav>{body}</body></html>')


def render(executed: Path, name: str, pages: list, titles: dict, repo: str, failed: str | None,
           local_mathjax: bool = True) -> tuple[str, str | None]:
    import nbformat
    from nbconvert import HTMLExporter
    nb = nbformat.read(executed, as_version=4)
    module = module_of(nb)
    if module and not (ROOT/'realiisr_lite'/f'{module}.py').exists(): module = None
    exporter = HTMLExporter(template_name='lab', embed_images=True, exclude_input_prompt=True, exclude_output_prompt=True)
    if local_mathjax: exporter.mathjax_url = f'mathjax/MathJax.js?config={MATHJAX_CONFIG_NAME},Safe'
    body, _ = exporter.from_notebook_node(for_reading(nb), resources={'metadata': {'name': titles[name] or name, 'path': str(ROOT/'nbs')}})
    if local_mathjax: body = CDN_SCRIPT.sub('', body)                   # require.js and the like: nothing loads from another host
    body = rewrite_links(body, set(pages), repo)
    body = body.replace('</head>', CSS + (MATHJAX_CONFIG if local_mathjax else '') + '</head>', 1)
    body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav(name, pages, titles, module, repo, failed), body, count=1)
    return body, module


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='_docs', help='output folder (replaced when the build is done; default _docs)')
    ap.add_argument('--nbs', default=str(ROOT/'nbs'), help='notebook folder (default: the repository\'s nbs/)')
    ap.add_argument('--only', help='comma-separated notebook names to build (e.g. index,00_core); default: all')
    ap.add_argument('--workers', type=int, default=2, help='notebooks executed at the same time (default 2)')
    ap.add_argument('--timeout', type=float, default=1800, help='seconds allowed per notebook (default 1800)')
    a = ap.parse_args(argv)
    import nbformat
    t0, nbs, out = time.time(), Path(a.nbs).resolve(), Path(a.out).resolve()
    files = find_notebooks(nbs, a.only.split(',') if a.only else None)
    if not files: raise SystemExit(f"build_docs: no notebooks in {nbs}")
    repo, stage = repo_url(), out.with_name(out.name + '.building')
    shutil.rmtree(stage, ignore_errors=True); (stage/'notebooks').mkdir(parents=True); (stage/'src').mkdir()
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHONWARNINGS='ignore')     # the CPU path, as on a laptop
    env.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // max(1, a.workers))))
    print(f"executing {len(files)} notebooks ({a.workers} at a time) ...", flush=True)

    def run(p):
        r = execute(p, stage/'notebooks'/p.name, a.timeout, env)
        print(f"  {p.stem:12s} {'ok    ' if r['ok'] else 'FAILED'} {r.get('seconds') or 0:6.1f} s" + ('' if r['ok'] else f"  {r['error']}"), flush=True)
        return r
    with ThreadPoolExecutor(max(1, a.workers)) as ex: results = dict(zip([p.stem for p in files], ex.map(run, files)))

    pages = [p.stem for p in files]
    titles = {p.stem: title_of(nbformat.read(p, as_version=4)) for p in files}
    mj = mathjax_dir()
    if mj: copy_mathjax(mj, stage/'mathjax')
    else: print("build_docs: MathJax is not installed (pip install jupyter-server-mathjax): the pages load it from a CDN, "
                "so without internet their equations stay raw LaTeX", flush=True)
    for p in files:
        r = results[p.stem]
        page, module = render(stage/'notebooks'/p.name, p.stem, pages, titles, repo, None if r['ok'] else r['error'], mj is not None)
        (stage/f'{p.stem}.html').write_text(page)
        if module: (stage/'src'/f'{module}.py.html').write_text(source_page(module, p.stem))
        r.update(title=titles[p.stem], module=module)
    if (nbs/'images').is_dir(): shutil.copytree(nbs/'images', stage/'images')
    (stage/'.nojekyll').write_text('')                                  # GitHub Pages: serve the files as they are
    (stage/'build.json').write_text(json.dumps(dict(seconds=round(time.time() - t0, 1), notebooks=results), indent=1))
    if out.exists(): shutil.rmtree(out)
    stage.rename(out)
    failed = [k for k, r in results.items() if not r['ok']]
    print(f"site: {out}/index.html  ({len(files)} pages, {time.time() - t0:.0f} s)" + (f"; FAILED: {', '.join(failed)}" if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())

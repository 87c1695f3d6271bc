"""The course's text, checked as a reader would check it: no machine paths, issue numbers or work-log remarks in
notebooks, README or results; every number quoted in prose agrees with the JSON it names; the paper's sections and
tables cited as the paper numbers them; chapters within their word budgets; the README's status block rendered from
results/; every study in results/FINDINGS.md with its question, command, JSON and verdict.

The convention for a number in prose (notebook markdown, README): put an HTML comment right after it that names the
file and the key, `29.37<!-- json: results/eval_bundled/report.json summary[method=Real-IISR-lite,kind=defocus].psnr -->`.
It is invisible when rendered; the test reads the value, rounds it to the decimals the prose shows and compares.
Keys are dotted; `[k=v,k2=v2]` picks the element of a list whose fields match, `[3]` an element by position. In the
README and notebook 10 every number with two or more decimals outside a rendered block must carry such a marker."""
import json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
NOTEBOOKS = sorted(NBS.glob('*.ipynb'))
RESULT_FILES = sorted(p for p in (ROOT/'results').rglob('*') if p.is_file() and p.suffix in ('.md', '.json', '.csv', '.txt', '.py'))


def cells(nb_path, kind=None):
    "(cell type, source) of each cell of a notebook, optionally of one type."
    for c in json.loads(nb_path.read_text())['cells']:
        if kind is None or c['cell_type'] == kind:
            yield c['cell_type'], ''.join(c['source'])


def prose(nb_path) -> str:
    return '\n\n'.join(s for _, s in cells(nb_path, 'markdown'))


def words(nb_path) -> int:
    "Words of markdown prose; the invisible JSON markers do not count."
    return len(re.sub(r'<!--.*?-->', ' ', prose(nb_path), flags=re.S).split())


# ---------------------------------------------------------------------------------------------------------------------
# machine paths, issue numbers, work-log phrases
# ---------------------------------------------------------------------------------------------------------------------
ABS_PATH = re.compile(r'(?<![\w.~$/-])/(?:work|root|home|tmp)/(?!…)')       # `/tmp/…/name` describes a path, it is not one
ABS_PATH_IN_CODE = re.compile(r'(?<![\w.~$/-])/(?:work|home)/')              # code may write to /tmp or test '/root/x' strings
ISSUE = re.compile(r'\bissues?\s*#?\s*\d+\b', re.I)
_LOG = (r'\b(?:this|earlier|previous|last|next) (?:session|week)\b|\bnew this\b|\bnow bundled\b|\bbundled now\b|\btoday\b|'
        r'\byesterday\b|\bthe issue asked\b|\bnew option\b')
WORK_LOG = re.compile(_LOG + r'|\(new[):,]|\bnew:', re.I)                    # '(new)', '(new: …)' mark prose as a log
WORK_LOG_IN_CODE = re.compile(_LOG, re.I)                                    # `f(new, x)` is code


def _problems(text: str, code: bool = False) -> list[str]:
    out = []
    for rx, what in ((ABS_PATH_IN_CODE if code else ABS_PATH, 'absolute path'), (ISSUE, 'issue number'),
                     (WORK_LOG_IN_CODE if code else WORK_LOG, 'work-log phrase')):
        for m in rx.finditer(text):
            out.append(f"{what}: …{text[max(0, m.start() - 40):m.end() + 30]!r}…")
    return out


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_paths_issue_numbers_or_work_log(nb):
    bad = [f'{kind} cell: {p}' for kind, s in cells(nb) for p in _problems(s, code=kind == 'code')]
    assert not bad, f'{nb.name}:\n' + '\n'.join(bad)


def test_readme_and_results_have_no_paths_issue_numbers_or_work_log():
    bad = [f'{p.relative_to(ROOT)}: {q}' for p in [ROOT/'README.md', *RESULT_FILES] for q in _problems(p.read_text())]
    assert not bad, '\n'.join(bad[:40]) + (f'\n… {len(bad) - 40} more' if len(bad) > 40 else '')


def test_the_checks_catch_what_they_should():
    assert _problems('trained in /work/runs/x') and _problems('see issue 13') and _problems('Issue #10 is open')
    assert _problems('(new this session)') and _problems('measured this week') and _problems('`hotspot_kept` (new: tie-aware)')
    assert not _problems('a path like `/tmp/…/gradio/x.png` on the server') and not _problems('~/.cache/torch and runs/tiny')
    assert not _problems("test_eq(msg('/root/secret'), ...)", code=True) and _problems("out='/work/runs/a'", code=True)
    assert not _problems('h = run(new, cond)', code=True) and _problems('# measured this session', code=True)


# ---------------------------------------------------------------------------------------------------------------------
# numbers in prose against the JSON they cite
# ---------------------------------------------------------------------------------------------------------------------
MARKER = re.compile(r'([-+−]?\d[\d,]*(?:\.\d+)?)\s*(?:dB|%|°C|px|s)?\s*<!--\s*json:\s*(\S+)\s+(.+?)\s*-->')
DECIMAL = re.compile(r'(?<![\w./:-])[-+−]?\d+\.\d{2,}(?![\w/])')
RENDERED = re.compile(r'<!-- status:.*?<!-- /status -->', re.S)
STRICT = [ROOT/'README.md', NBS/'10_eval.ipynb']
NOT_MEASURED = {  # numbers that are derivations or settings, not results (file name: numbers)
    '10_eval.ipynb': {'0.164'},             # the worked °C example: MAE = (200 + 180 + 30) / 2500
    'README.md': {'3.10'},                  # Python 3.10+
}


def lookup(data, key: str):
    "Follow a marker's key: dotted fields, `[k=v,...]` for the list element whose fields match, `[i]` by position."
    for part in re.findall(r'[^.\[\]]+|\[[^\]]*\]', key):
        if part.startswith('['):
            sel = part[1:-1]
            if re.fullmatch(r'-?\d+', sel): data = data[int(sel)]; continue
            want = dict(kv.split('=', 1) for kv in sel.split(','))
            hits = [e for e in data if all(str(e.get(k)) == v for k, v in want.items())]
            if len(hits) != 1: raise KeyError(f'{part}: {len(hits)} matches')
            data = hits[0]
        else: data = data[part]
    return data


def _value(number: str) -> float: return float(number.replace('−', '-').replace(',', ''))


def marked_numbers(text: str):
    for m in MARKER.finditer(text): yield m.group(1), m.group(2), m.group(3)


def _texts():
    yield 'README.md', (ROOT/'README.md').read_text()
    for nb in NOTEBOOKS: yield nb.name, prose(nb)


@pytest.mark.parametrize('name,text', list(_texts()), ids=lambda x: x if isinstance(x, str) and len(x) < 40 else '')
def test_quoted_numbers_match_their_json(name, text):
    for number, file, key in marked_numbers(text):
        p = ROOT/file
        assert p.is_file(), f'{name}: {number} cites {file}, which does not exist'
        v = float(lookup(json.loads(p.read_text()), key))
        d = len(number.split('.')[1]) if '.' in number else 0
        assert abs(_value(number) - v) <= 0.5 * 10 ** -d + 1e-9, f'{name}: {number} but {file} {key} = {v}'


@pytest.mark.parametrize('path', STRICT, ids=lambda p: p.name)
def test_every_measured_number_in_prose_cites_its_json(path):
    text = path.read_text() if path.suffix == '.md' else prose(path)
    text = RENDERED.sub('', text)
    text = re.sub(r'<!--\s*json:.*?-->', '', MARKER.sub('', text))          # marked numbers are checked above
    text = re.sub(r'```.*?```', '', text, flags=re.S)                         # commands and code, not prose
    loose = [m.group(0) for m in DECIMAL.finditer(text) if m.group(0).lstrip('+-−') not in NOT_MEASURED.get(path.name, set())]
    assert not loose, f'{path.name}: numbers without a JSON marker (render them in a cell, or mark them): {loose}'


def test_marker_checks():
    data = {'summary': [{'method': 'a', 'kind': 'x', 'psnr': 29.374}, {'method': 'b', 'kind': 'x', 'psnr': 28.0}], 'n': {'m': [1.5]}}
    test = 'PSNR 29.37<!-- json: f.json summary[method=a,kind=x].psnr --> dB and 1.5<!-- json: f.json n.m[0] -->'
    got = [(n, lookup(data, k)) for n, _, k in marked_numbers(test)]
    assert got == [('29.37', 29.374), ('1.5', 1.5)]
    with pytest.raises(KeyError): lookup(data, 'summary[kind=x].psnr')                # two matches: ambiguous


# ---------------------------------------------------------------------------------------------------------------------
# the paper's sections and tables
# ---------------------------------------------------------------------------------------------------------------------
PAPER_SECTIONS = {'3', '3.1', '3.2', '3.3', '3.4', '4', '4.1', '4.2', '4.3', '4.4', '4.5'}
PAPER_TABLES = {1, 2}
TOPIC_SECTION = {'TSG': '3.1', 'CAC': '3.2', 'TOC': '3.3', 'FLIR-IISR': '3.4', 'Thermal-Structural Guidance': '3.1',
                 'Condition-Adaptive Codebook': '3.2', 'Thermal Order Consistency': '3.3'}
SEC = re.compile(r'\bSec(?:tions?|s?\.)\s*(\d+(?:\.\d+)?)(?:\s*[–-]\s*(\d+(?:\.\d+)?))?((?:\s*,\s*\d+(?:\.\d+)?)*)')
TAB = re.compile(r'\bTables?\s+(\d+)(?:\s*(?:[–-]|and)\s*(\d+))?')


def reference_problems(text: str) -> list[str]:
    out = []
    for m in SEC.finditer(text):
        nums = [m.group(1)] + ([m.group(2)] if m.group(2) else []) + re.findall(r'\d+(?:\.\d+)?', m.group(3) or '')
        out += [f'{m.group(0)!r}: the paper has no Sec. {n}' for n in nums if n not in PAPER_SECTIONS]
        after = text[m.end():m.end() + 40]
        for topic, sec in TOPIC_SECTION.items():                     # 'Sec. 4 (TSG)': a topic cited with the wrong section
            if re.match(rf'\s*\((?:the\s+)?{re.escape(topic)}\b', after) and sec not in nums:
                out.append(f'{m.group(0) + after[:20]!r}: {topic} is Sec. {sec}')
        if re.match(r'\s*\(?preliminar', after, re.I) and m.group(1) != '3': out.append(f'{m.group(0)!r}: no preliminaries there')
    for m in re.finditer(r'\*\*Paper section\*\*:(.*?)(?:\n\s*\n|\Z)', text, re.S):   # a chapter's header names its topic
        para = m.group(1)
        cited = {n for g in SEC.finditer(para) for n in [g.group(1), g.group(2)] + re.findall(r'\d+(?:\.\d+)?', g.group(3) or '') if n}
        for topic, sec in TOPIC_SECTION.items():
            if topic != 'FLIR-IISR' and re.search(rf'\b{re.escape(topic)}\b', para) and sec not in cited:   # the data is named in passing
                out.append(f'Paper section {para.strip()[:60]!r}…: {topic} is Sec. {sec}')
    for m in TAB.finditer(text):
        nums = [int(m.group(1))] + ([int(m.group(2))] if m.group(2) else [])
        out += [f'{m.group(0)!r}: the paper has two tables' for n in nums if n not in PAPER_TABLES]
    return out


@pytest.mark.parametrize('path', [ROOT/'README.md', *NOTEBOOKS], ids=lambda p: p.name)
def test_paper_references_match_the_paper(path):
    text = path.read_text() if path.suffix == '.md' else '\n'.join(s for _, s in cells(path))
    bad = reference_problems(text)
    assert not bad, f'{path.name}:\n' + '\n'.join(bad)


def test_reference_checks():
    assert reference_problems('Sec. 5.1 (implementation)') and reference_problems('Tables 1–3') and reference_problems('Sec. 4 (TSG)')
    assert reference_problems('Sec. 4.1 (preliminaries: VAR)') and reference_problems('Sec. 4, 5.1')
    assert reference_problems('**Paper section**: Sec. 4 (method), the Thermal Order Consistency (TOC) loss.')
    assert not reference_problems('**Paper section**: Sec. 3 (VAR); it adds TSG tokens (Sec. 3.1) and CAC (Sec. 3.2).')
    assert not reference_problems("The paper's ablation (Sec. 4.5) removes TSG, CAC and TOC one at a time.")
    assert not reference_problems('**Paper section**: Sec. 4.1 (settings: PSNR, SSIM, LPIPS on FLIR-IISR).')
    assert reference_problems('**Paper section**: Sec. 3 (the FLIR-IISR dataset: pairs)')
    assert not reference_problems('Sec. 3.1 (TSG), Sec. 3.4 (FLIR-IISR), Sec. 4.5, Tables 1 and 2, Sec. 3.1–3.3')


# ---------------------------------------------------------------------------------------------------------------------
# length: a course, not a lab journal
# ---------------------------------------------------------------------------------------------------------------------
STUDENT_PATH = [p for p in NOTEBOOKS if re.match(r'\d\d_', p.name) and not p.name.startswith('9')] + [NBS/'index.ipynb']
WORD_BUDGET = {'10_eval.ipynb': 2500}


@pytest.mark.parametrize('nb', STUDENT_PATH, ids=lambda p: p.name)
def test_chapter_prose_within_budget(nb):
    assert words(nb) <= WORD_BUDGET.get(nb.name, 3000), f'{nb.name}: {words(nb)} words of markdown'


def test_readme_is_a_front_door():
    text = (ROOT/'README.md').read_text()
    assert len(text.splitlines()) <= 200
    for must in ('make demo', 'make test', 'RealIISR.from_pretrained()', 'realiisr-lite sr', 'results/README.md', 'results/FINDINGS.md'):
        assert must in text, must


def test_readme_status_block_is_rendered_from_results():
    import importlib.util
    spec = importlib.util.spec_from_file_location('render_readme', ROOT/'scripts'/'render_readme.py')
    rr = importlib.util.module_from_spec(spec); spec.loader.exec_module(rr)
    text = (ROOT/'README.md').read_text()
    assert rr.render(text) == text, 'README.md is out of date: run python scripts/render_readme.py'
    rep = json.loads((ROOT/'results'/'eval_bundled'/'report.json').read_text())
    bic = next(r for r in rep['summary'] if r['method'] == 'bicubic' and r['kind'] == 'defocus')
    assert f"| bicubic | {bic['psnr']:.2f} | {bic['ssim']:.4f} |" in rr.status_block()


# ---------------------------------------------------------------------------------------------------------------------
# the findings
# ---------------------------------------------------------------------------------------------------------------------
def findings() -> list[tuple[str, str]]:
    text = (ROOT/'results'/'FINDINGS.md').read_text()
    return [(m.group(1), m.group(2)) for m in re.finditer(r'^### (.+?)\n(.*?)(?=^### |^## |\Z)', text, re.S | re.M)]


def test_every_finding_has_question_command_json_and_dated_verdict():
    entries = findings()
    assert len(entries) >= 25
    for title, body in entries:
        for field in (r'\*\*Question:\*\*', r'\*\*Command:\*\*', r'\*\*JSON:\*\*', r'\*\*Verdict \(\d{4}-\d{2}-\d{2}'):
            assert re.search(rf'^- {field}', body, re.M), f'{title}: no {field}'


def test_findings_cite_files_that_exist_and_every_json_is_cited():
    text = (ROOT/'results'/'FINDINGS.md').read_text() + (ROOT/'results'/'README.md').read_text()
    for ref in re.findall(r'`(results/[^`\s]+)`', text):
        if '{' in ref:                                                # results/seeds_tiny_mse/{tno,synthetic}/report.json
            head, alts, tail = re.match(r'(.*)\{(.*?)\}(.*)', ref).groups()
            paths = [head + a + tail for a in alts.split(',')]
        else: paths = [ref]
        for p in paths: assert (ROOT/p).exists(), f'FINDINGS.md or results/README.md cites {p}, which does not exist'
    cited = set(re.findall(r'[\w./{},-]+\.json', text))
    flat = ' '.join(cited)
    for p in (ROOT/'results').rglob('*.json'):
        rel = p.relative_to(ROOT/'results').as_posix()
        assert p.name in flat or rel.split('/')[0] in text, f'results/{rel} is cited nowhere'

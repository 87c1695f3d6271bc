#!/usr/bin/env python
"""Render the README's status of the bundled model from the JSON in results/, so that its numbers cannot drift from
the files that hold them. The block between the two markers in README.md is replaced by the rendering:

    python scripts/render_readme.py            # rewrite the block in README.md
    python scripts/render_readme.py --check    # exit 1 (and say so) when README.md's block differs from the rendering

Sources: results/eval_bundled/report.json (`realiisr-lite eval --data tno ... --out results/eval_bundled`: the
bundled model, its regression and GAN twins, the Real-ESRGAN peer and bicubic on the held-out TNO frames),
results/eval_raw16/report.json (the same on the second camera, `--data raw16`) and results/bench_cpu_128.json (`realiisr-lite bench --image 128 --json results/bench_cpu_128.json`). After retraining,
rerun those commands, then this script; tests/test_course_text.py checks that README.md is up to date."""
import argparse, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = '<!-- status: rendered by scripts/render_readme.py from results/; edit that script, not this block -->'
END = '<!-- /status -->'
KINDS = ('defocus', 'motion')
COLUMNS = {'psnr': ('PSNR ↑', 2), 'ssim': ('SSIM ↑', 4), 'lpips': ('LPIPS ↓', 4), 'dists': ('DISTS ↓', 4)}


def _is_row(name: str) -> bool:
    "The rows of the status table: bicubic, the peer, the regression twin and the bundled model (not its variants)."
    return (name == 'bicubic' or 'Real-ESRGAN' in name or name.startswith(('regression twin', 'GAN twin'))
            or name in ('Real-IISR-lite', 'Real-IISR-lite (bundled)'))


def _num(v) -> bool: return isinstance(v, (int, float)) and not isinstance(v, bool)


def status_table(report: dict) -> str:
    "A Markdown table of the status rows: each measure that the report holds, defocus then motion; 'n/a' where not computed."
    summ = {(r['method'], r['kind']): r for r in report['summary']}
    methods = [m for m in dict.fromkeys(r['method'] for r in report['summary']) if _is_row(m)]
    cols = [c for c in COLUMNS if any(c in r for r in report['summary'])]
    head = '| method | ' + ' | '.join(f'{k} {COLUMNS[c][0]}' for k in KINDS for c in cols) + ' |'
    lines = [head, '|---' * (1 + len(KINDS) * len(cols)) + '|']
    for m in methods:
        cells = []
        for k in KINDS:
            for c in cols:
                v = summ.get((m, k), {}).get(c)
                cells.append(f'{v:.{COLUMNS[c][1]}f}' if _num(v) else 'n/a')
        lines.append(f'| {m} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


REPORTS = ('eval_bundled', 'eval_raw16')  # held-out TNO, then the second camera (when its report is there)


def report_section(rep: dict) -> list:
    "One report's lines: its title, the table and the command that made it."
    n = rep.get('notes', {})
    out = [f"{rep['title']}: the mean over {n.get('images', '?')} items (frames × degradation kinds) per kind.", '',
           status_table(rep), '']
    return out + ([f"Made by {n['command']}.", ''] if n.get('command') else [])


def status_block(root: Path = ROOT) -> str:
    "The block between the markers: a table per report (TNO, second camera), its command, and the CPU speed."
    out = [BEGIN, '']
    for name in REPORTS:
        f = root/'results'/name/'report.json'
        if f.exists() or name == REPORTS[0]: out += report_section(json.loads(f.read_text()))
    bench = root/'results'/'bench_cpu_128.json'
    if bench.exists():
        runs = json.loads(bench.read_text())['runs']
        best = min((r for r in runs if r.get('use_cache', True)), key=lambda r: r['total'])
        out += [f"Speed: a {best['size']}×{best['size']} image to {4 * best['size']}×{4 * best['size']} in {best['total']:.2f} s on "
                f"{best['threads']} CPU threads (`results/bench_cpu_128.json`).", '']
    return '\n'.join(out + [END])


def render(text: str, root: Path = ROOT) -> str:
    "README text with the status block replaced by a fresh rendering (the markers must be there, once each)."
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i or text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f'README.md must hold the status markers once each, in order:\n{BEGIN}\n{END}')
    return text[:i] + status_block(root) + text[j + len(END):]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true', help='do not write; exit 1 when README.md is not up to date')
    ap.add_argument('--readme', default=str(ROOT/'README.md'))
    a = ap.parse_args(argv)
    p = Path(a.readme); old = p.read_text(); new = render(old)
    if a.check:
        if new != old: print(f'{p}: the status block is out of date; run python scripts/render_readme.py'); return 1
        print(f'{p}: the status block is up to date'); return 0
    if new != old: p.write_text(new); print(f'{p}: status block rewritten')
    else: print(f'{p}: already up to date')
    return 0


if __name__ == '__main__': sys.exit(main())

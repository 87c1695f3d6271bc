#!/usr/bin/env python3
"""Print a short hash of pyproject.toml's *dependency declaration*: what `pip install -e ".[dev]"` depends on.

The Makefile's install stamp and .ci/run's cached virtualenv are keyed on it, so a rewrite of pyproject.toml that
leaves the declaration alone (nbdev-export rewrites the file; formatting, comments, [tool.nbdev], [tool.pytest],
description, keywords, URLs) re-installs nothing, while a changed dependency, extra, Python requirement, entry
point or package layout does. Standard library only (tomllib, Python 3.11+; pip's vendored tomli on 3.10)."""
import hashlib, json, sys
from pathlib import Path

# The parts of [project] that change what gets installed; everything else there is descriptive metadata.
PROJECT_KEYS = ('name', 'dynamic', 'requires-python', 'dependencies', 'optional-dependencies', 'scripts', 'gui-scripts',
                'entry-points')


def _toml():
    try: import tomllib
    except ModuleNotFoundError:
        try: from pip._vendor import tomli as tomllib      # Python 3.10: pip ships a TOML reader
        except ModuleNotFoundError: return None
    return tomllib


def _declaration_text(text: str) -> dict:
    "Without a TOML reader: the file minus comments, blank lines, indentation and the [tool.*] tables other than setuptools'."
    keep, out = True, []
    for line in text.splitlines():
        line = line.split(' #')[0].strip()
        if not line or line.startswith('#'): continue
        if line.startswith('['): keep = not (line.startswith('[tool.') and not line.startswith('[tool.setuptools'))
        if keep: out.append(' '.join(line.split()))
    return {'text': out}


def dependency_declaration(path='pyproject.toml') -> dict:
    "The installation-relevant parts of a pyproject.toml, as a plain dict."
    toml, text = _toml(), Path(path).read_text()
    if toml is None: return _declaration_text(text)
    d = toml.loads(text)
    project = d.get('project', {})
    return {'build-system': d.get('build-system', {}), 'project': {k: project[k] for k in PROJECT_KEYS if k in project},
            'tool.setuptools': d.get('tool', {}).get('setuptools', {})}


def deps_key(path='pyproject.toml', n: int = 12) -> str:
    "A short hash of `dependency_declaration(path)` (key order and formatting do not matter)."
    return hashlib.sha1(json.dumps(dependency_declaration(path), sort_keys=True).encode()).hexdigest()[:n]


if __name__ == '__main__':
    try: print(deps_key(sys.argv[1] if len(sys.argv) > 1 else 'pyproject.toml'))
    except Exception as e:                                  # one clear line; the Makefile stops on an empty key
        print(f"deps_key: cannot read the dependency declaration: {e}", file=sys.stderr); sys.exit(1)

"""The product's own documentation holds together: every ``docs/domain.md §n`` citation in the
repository names a section that exists, every relative link in README.md and docs/*.md points at a
file that exists, every repository path a document names in a code span exists, and nothing cites
the project's working notes outside the repository (cite the statute, ``docs/domain.md §n`` or
``docs/data-package.md``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ROOT / "docs" / "domain.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: file kinds that may carry citations (vendored third-party code is left out)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".j2", ".html", ".js", ".css", ".sh", ".cfg", ".ini", ".yml",
                 ".yaml", ".sql", ""}
SKIP_PARTS = {"vendor", ".venv", "node_modules", "__pycache__", ".git"}

HEADING = re.compile(r"^## §(\d+)\b", re.MULTILINE)
CITATION = re.compile(r"docs/domain\.md(?P<refs>[\s(]*§\s*\d+(?:\s*(?:,|;|and|&|/|–|-)\s*§\s*\d+)*)")
SECTION = re.compile(r"§\s*(\d+)(?!\d|\.\d)")  # not §2.1.3 of another document
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(r"^(?:landuse|parcels|evaluation|maps|scripts|tests|docs)/[\w./-]*$")
#: the working notes the project was started from live outside the repository and must not be cited
OUTSIDE = re.compile("|".join([r"\bDOMAIN" + r"\.md", r"\bDATA_PACKAGE" + r"\.md", r"\bDESIGN" + r"\.md",
                               r"\bDOMAIN" + r" §", r"/work/" + r"shared"]))


# ------------------------------------------------------------------------------------------------
# helpers (tested on hand-made text below, so the checks themselves can fail)
# ------------------------------------------------------------------------------------------------

def domain_sections(text: str) -> list[int]:
    """Section numbers of docs/domain.md, from its ``## §n …`` headings, in order."""
    return [int(n) for n in HEADING.findall(text)]


def cited_sections(text: str) -> list[tuple[int, int]]:
    """(line number, section) for every ``docs/domain.md §n[, §m …]`` citation in ``text``, and for every
    further ``§n`` on a line that cites docs/domain.md (policy notes add "…, §5" after the citation)."""
    out: set[tuple[int, int]] = set()
    for m in CITATION.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        out.update((line, int(n)) for n in SECTION.findall(m.group("refs")))
    for i, line in enumerate(text.splitlines(), start=1):
        if "docs/domain.md" in line:
            out.update((i, int(n)) for n in SECTION.findall(line))
    return sorted(out)


def relative_links(md_text: str) -> list[str]:
    """Targets of the inline and reference links of a Markdown text that point into the repository
    (no URL scheme, no bare #anchor), without their #anchor; fenced code blocks are ignored."""
    text = FENCE.sub("", md_text)
    targets = LINK.findall(text) + REF_LINK.findall(text)
    out = []
    for t in targets:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t) or t.startswith("#") or t.startswith("//"):
            continue
        out.append(t.split("#", 1)[0].split("?", 1)[0])
    return [t for t in out if t]


def named_repo_paths(md_text: str) -> list[str]:
    """Repository paths named in code spans (`landuse/core/units.py`, `maps/styles.py: STAGES`);
    patterns such as `tests/test_<area>_*.py` are not paths."""
    text = FENCE.sub("", md_text)
    out = []
    for span in CODE_SPAN.findall(text):
        head = re.split(r"[\s:]", span.strip(), maxsplit=1)[0].rstrip(".,;")
        if REPO_PATH.match(head) and not any(c in head for c in "<>*{}"):
            out.append(head)
    return out


def repository_files() -> list[Path]:
    """Tracked and new (not ignored) files of the repository; every file under ROOT without git."""
    try:
        names = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                               capture_output=True, check=True).stdout.decode("utf-8").split("\0")
        files = [ROOT / n for n in names if n]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*") if p.is_file()]
    return sorted(p for p in files
                  if p.is_file() and p.suffix in TEXT_SUFFIXES and not SKIP_PARTS & set(p.relative_to(ROOT).parts))


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


# ------------------------------------------------------------------------------------------------
# the helpers on hand-made text
# ------------------------------------------------------------------------------------------------

def test_helpers_find_what_they_should():
    assert domain_sections("# t\n## §1 Users\ntext\n## §2 Targets\n### §9 not a section\n## 3 no mark\n") == [1, 2]
    text = ('"""Growth (docs/domain.md §2, §5; seed 二)."""\n'
            'x = "docs/domain.md §7 rule 3: below 1/3 of the zone figure (Σ tax / Σ mu, §5)"\n'
            "# the report (docs/domain.md) and GeoPackage 1.3 §2.1.3\n"
            "see docs/domain.md\n§14 on the next line\n")
    assert cited_sections(text) == [(1, 2), (1, 5), (2, 5), (2, 7), (4, 14)]
    md = ("[a](docs/x.md) ![img](screenshots/a.png \"title\") [web](https://example.org/a.md) [top](#top)\n"
          "[b](y.md#part) <http://x>\n```\n[not](in/a/fence.md)\n```\n[ref]: ../z.md\n")
    assert relative_links(md) == ["docs/x.md", "screenshots/a.png", "y.md", "../z.md"]
    assert named_repo_paths("`landuse/core/units.py` `maps/styles.py: STAGES` `tests/test_<area>_*.py` "
                            "`/etc/landuse/landuse.env` `landuse policy show`") == [
        "landuse/core/units.py", "maps/styles.py"]
    assert OUTSIDE.search("see " + "DOMAIN" + ".md §5") and OUTSIDE.search("(" + "DOMAIN" + " §5)")
    assert not OUTSIDE.search("see docs/domain.md §5 and docs/data-package.md")


# ------------------------------------------------------------------------------------------------
# the repository
# ------------------------------------------------------------------------------------------------

def test_domain_sections_are_numbered_one_to_thirteen():
    assert domain_sections(DOMAIN.read_text(encoding="utf-8")) == list(range(1, 14))


def test_every_domain_citation_names_an_existing_section():
    sections = set(domain_sections(DOMAIN.read_text(encoding="utf-8")))
    files = repository_files()
    assert any(p.name == "default.toml" for p in files) and any(p.parts[-2:] == ("rules", "engine.py") for p in files)
    bad, count = [], 0
    for path in files:
        if path == Path(__file__).resolve():
            continue
        text = read_text(path)
        if text is None:
            continue
        refs = cited_sections(text)
        count += len(refs)
        bad += [f"{path.relative_to(ROOT)}:{line}: §{n}" for line, n in refs if n not in sections]
    assert count > 50, f"only {count} citations found: is the scan looking at the repository?"
    assert not bad, "citations of sections docs/domain.md does not have:\n" + "\n".join(bad)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_that_exist(doc):
    missing = [t for t in relative_links(doc.read_text(encoding="utf-8")) if not (doc.parent / t).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} links to files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_paths_named_in_docs_exist(doc):
    missing = [p for p in named_repo_paths(doc.read_text(encoding="utf-8")) if not (ROOT / p).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_nothing_cites_working_notes_outside_the_repository():
    bad = []
    for path in repository_files():
        if path == Path(__file__).resolve():
            continue
        text = read_text(path)
        if text is None:
            continue
        for i, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not bad, "cite the statute, docs/domain.md §n or docs/data-package.md instead:\n" + "\n".join(bad)

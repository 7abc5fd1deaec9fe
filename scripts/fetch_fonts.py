#!/usr/bin/env python3
"""Rebuild ``fonts/``: a curated set of open-licensed Google Fonts from npm ``@fontsource``.

For every family listed below the script runs ``npm pack @fontsource/<id>@<version>`` in a
cache directory outside the repository, checks the licence (``metadata.json``'s
``license.type`` and the package's LICENSE text; only OFL-1.1, Apache-2.0 and UFL-1.0 are
accepted) and copies into ``fonts/<id>/``:

* the Latin subset, weight 400, normal style WOFF2 (``<id>-latin-400-normal.woff2``);
* the 700 normal and/or 400 italic WOFF2 for the families in ``BOLD`` / ``ITALIC``;
* the package's LICENSE file.

It then writes ``fonts/manifest.json`` (one entry per font file, sorted, stable JSON; the
families in ``RANK``, reserved for the ranking readers, get ``"split": "rank"``) and
``fonts/README.md``. Versions are pinned, so reruns are byte-identical. Packages that fail
to download, lack the 400 normal Latin file, or carry another licence are skipped and
reported. The family list was curated by eye: caps-only, small-caps-only, symbol and
illegible faces are left out; every kept face covers A-Z, a-z and 0-9.

Usage: ``python scripts/fetch_fonts.py [--out fonts] [--cache DIR] [--jobs N]``
Needs ``npm`` on PATH and access to the npm registry; standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fonts"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "ambictl-fontsource-cache"

DEFAULT_VERSION = "5.3.0"
VERSION_PINS: dict[str, str] = {
    "adamina": "5.2.7",
    "changa-one": "5.2.8",
    "days-one": "5.2.7",
    "source-code-pro": "5.3.1",
    "source-sans-3": "5.3.1",
    "source-serif-4": "5.3.1",
}


def _ids(text: str) -> list[str]:
    """Split a whitespace-separated block of @fontsource package ids."""
    return text.split()


# Grouped by intent; the manifest's category comes from each package's metadata.json.
SANS = _ids("""
    roboto open-sans lato montserrat poppins inter source-sans-3 noto-sans raleway nunito
    work-sans pt-sans ubuntu fira-sans rubik karla dm-sans mulish nobile libre-franklin
    arimo ibm-plex-sans titillium-web exo-2 overpass kanit lexend jost questrial abel
    red-hat-display signika acme fredoka sansita russo-one paytone-one secular-one viga
    orbitron archivo-black
""")
ROUNDED = _ids("quicksand varela-round m-plus-rounded-1c")
CONDENSED = _ids("""
    barlow barlow-condensed roboto-condensed oswald archivo-narrow asap-condensed
    encode-sans-condensed yanone-kaffeesatz fjalla-one anton teko cabin josefin-sans
""")
SERIF = _ids("""
    merriweather playfair-display lora pt-serif noto-serif libre-baskerville eb-garamond
    crimson-text source-serif-4 cormorant-garamond spectral cardo old-standard-tt vollkorn
    alegreya libre-caslon-text gelasio ibm-plex-serif frank-ruhl-libre dm-serif-text prata
    tinos martel literata newsreader fraunces young-serif bodoni-moda sorts-mill-goudy domine
    quattrocento unna ovo bevan
""")
SLAB = _ids("""
    arvo bitter roboto-slab zilla-slab josefin-slab slabo-27px rokkitt crete-round aleo
    bree-serif kreon sanchez noticia-text ultra
""")
MONO = _ids("""
    roboto-mono source-code-pro fira-code jetbrains-mono ibm-plex-mono space-mono ubuntu-mono
    inconsolata pt-mono dm-mono courier-prime anonymous-pro cousine overpass-mono
    share-tech-mono victor-mono cutive-mono
""")
DISPLAY = _ids("""
    abril-fatface alfa-slab-one audiowide baloo-2 boogaloo bowlby-one carter-one changa-one
    cherry-cream-soda chewy coda comfortaa concert-one dela-gothic-one fugaz-one galindo
    knewave lilita-one limelight lobster lobster-two londrina-solid oleo-script passion-one
    patua-one playball poiret-one racing-sans-one rammetto-one righteous rowdies shrikhand
    sniglet special-elite spicy-rice titan-one yeseva-one
""")
HANDWRITING = _ids("""
    caveat kalam patrick-hand dancing-script pacifico indie-flower shadows-into-light satisfy
    great-vibes allura gloria-hallelujah architects-daughter handlee courgette cookie
    kaushan-script yellowtail covered-by-your-grace just-another-hand nothing-you-could-do
    reenie-beanie coming-soon neucha gochi-hand schoolbell marck-script caveat-brush
    bad-script merienda grand-hotel damion norican leckerli-one mansalva
""")

FAMILIES: tuple[str, ...] = tuple(
    SANS + ROUNDED + CONDENSED + SERIF + SLAB + MONO + DISPLAY + HANDWRITING
)

# Families reserved for the ranking readers: letter classifiers that must never share a font
# family with the fonts the generator or the eval judge trained on. ``build-dataset`` puts
# them in their own split "rank", disjoint from train and validation; their manifest entries
# carry ``"split": "rank"``. Picked like the others (legible, distinct A-Z, a-z, 0-9) and
# avoiding near-clones of the families above (e.g. heebo ~ roboto, public-sans ~
# libre-franklin, rasa ~ merriweather, varela ~ varela-round, libre-bodoni ~ bodoni-moda).
# Rows: sans-serif, serif, slab, monospace, display, handwriting.
RANK: tuple[str, ...] = tuple(
    _ids("""
    manrope figtree outfit hind plus-jakarta-sans sora mukta maven-pro chivo kumbh-sans catamaran
    gentium-book-plus brawler neuton petrona adamina alike cambo judson
    podkova enriqueta solway
    azeret-mono spline-sans-mono b612-mono sometype-mono
    alata days-one black-ops-one sigmar-one
    parisienne sacramento delius short-stack mali itim
""")
)
RANK_SPLIT = "rank"

# Families that additionally ship their 700 normal / 400 italic Latin WOFF2.
BOLD = frozenset(
    _ids("""
    roboto open-sans lato montserrat inter source-sans-3 ubuntu oswald quicksand ibm-plex-sans
    merriweather playfair-display lora pt-serif eb-garamond libre-baskerville source-serif-4
    noto-serif bitter roboto-slab zilla-slab arvo roboto-mono jetbrains-mono ibm-plex-mono
    space-mono caveat kalam dancing-script comfortaa baloo-2 lobster-two
""")
)
ITALIC = frozenset(
    _ids("""
    roboto lato ibm-plex-sans lora merriweather eb-garamond playfair-display pt-serif
    zilla-slab ibm-plex-mono
""")
)

# metadata.json licence id -> phrase that must appear in the package's LICENSE text.
ALLOWED_LICENSES: dict[str, str] = {
    "OFL-1.1": "open font license",
    "Apache-2.0": "apache license",
    "UFL-1.0": "ubuntu font licence",
}

README_TEXT = (
    "{families} open-licensed font families ({files} WOFF2 files: Latin subset, weight 400"
    " normal, plus 700 and 400 italic for some families) from Google Fonts, taken from the"
    " npm `@fontsource/*` packages and curated for legible, distinct A-Z, a-z and 0-9 (no"
    " caps-only, small-caps, symbol or illegible faces). Categories: {categories}. Each"
    " `<family-id>/` folder holds the font file(s) and the package's LICENSE; licences:"
    " {licenses}. `manifest.json` lists every file with its family, category, weight,"
    " style, licence, source package and SHA-256. {rank} of the families ({rank_categories})"
    ' are reserved for the ranking readers: their entries carry `"split": "rank"`, and'
    ' `ambictl build-dataset` puts them in their own split "rank", disjoint from train and'
    " validation, so the ranking readers never share a font family with the generator's or"
    " the judge's training fonts. Rebuild with"
    " `python scripts/fetch_fonts.py` (needs `npm` and the npm registry)."
)


class SkipFamily(Exception):
    """Raised when a family cannot be included; the message says why."""


@dataclass(frozen=True)
class Package:
    """What the script needs from one unpacked @fontsource tarball."""

    family_id: str
    version: str
    metadata: dict
    license_text: bytes
    files: dict[tuple[int, str], bytes]  # (weight, style) -> WOFF2 bytes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="tarball cache")
    parser.add_argument("--jobs", type=int, default=8, help="parallel npm pack calls")
    return parser.parse_args(argv)


def wanted_variants(family_id: str) -> list[tuple[int, str]]:
    """(weight, style) pairs to keep for a family; 400 normal always comes first."""
    variants = [(400, "normal")]
    if family_id in BOLD:
        variants.append((700, "normal"))
    if family_id in ITALIC:
        variants.append((400, "italic"))
    return variants


def font_file_name(family_id: str, weight: int, style: str) -> str:
    return f"{family_id}-latin-{weight}-{style}.woff2"


def npm_pack(family_id: str, cache: Path) -> Path:
    """Download @fontsource/<id> at its pinned version into cache (reused when present)."""
    version = VERSION_PINS.get(family_id, DEFAULT_VERSION)
    tarball = cache / f"fontsource-{family_id}-{version}.tgz"
    if tarball.exists():
        return tarball
    spec = f"@fontsource/{family_id}@{version}"
    cmd = ["npm", "pack", spec, "--pack-destination", str(cache)]
    result = subprocess.run(cmd, cwd=cache, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not tarball.exists():
        errors = [ln for ln in result.stderr.splitlines() if ln.startswith("npm error")]
        raise SkipFamily(f"npm pack {spec} failed: {' / '.join(errors[:2]) or 'no tarball'}")
    return tarball


def read_member(tar: tarfile.TarFile, name: str) -> bytes | None:
    try:
        member = tar.extractfile(f"package/{name}")
    except KeyError:
        return None
    return member.read() if member else None


def read_package(family_id: str, tarball: Path) -> Package:
    with tarfile.open(tarball, "r:gz") as tar:
        metadata = read_member(tar, "metadata.json")
        package_json = read_member(tar, "package.json")
        license_text = read_member(tar, "LICENSE")
        if metadata is None or package_json is None or license_text is None:
            raise SkipFamily("package lacks metadata.json, package.json or LICENSE")
        files = {}
        for weight, style in wanted_variants(family_id):
            data = read_member(tar, f"files/{font_file_name(family_id, weight, style)}")
            if data is not None:
                files[weight, style] = data
    version = json.loads(package_json)["version"]
    return Package(family_id, version, json.loads(metadata), license_text, files)


def check_license(package: Package) -> str:
    """Return the licence id, or raise SkipFamily if it is not an allowed one."""
    license_id = package.metadata.get("license", {}).get("type", "")
    phrase = ALLOWED_LICENSES.get(license_id)
    if phrase is None:
        raise SkipFamily(f"licence {license_id!r} not allowed")
    if phrase not in package.license_text.decode("utf-8", "replace").lower():
        raise SkipFamily(f"LICENSE text does not match {license_id}")
    return license_id


def manifest_entry(package: Package, weight: int, style: str, license_id: str) -> dict:
    name = font_file_name(package.family_id, weight, style)
    entry = {
        "file": f"{package.family_id}/{name}",
        "family": package.metadata["family"],
        "family_id": package.family_id,
        "style": style,
        "weight": weight,
        "category": package.metadata["category"],
        "license": license_id,
        "source": f"npm:@fontsource/{package.family_id}@{package.version}",
        "sha256": hashlib.sha256(package.files[weight, style]).hexdigest(),
    }
    if package.family_id in RANK:
        entry["split"] = RANK_SPLIT
    return entry


def write_family(package: Package, out: Path) -> tuple[list[dict], list[str]]:
    """Write one family's files and LICENSE; return manifest entries and notes."""
    license_id = check_license(package)
    family_id = package.family_id
    if (400, "normal") not in package.files:
        raise SkipFamily(f"no {font_file_name(family_id, 400, 'normal')} in package")
    folder = out / family_id
    folder.mkdir(parents=True)
    (folder / "LICENSE").write_bytes(package.license_text)
    entries = []
    for (weight, style), data in sorted(package.files.items()):
        (folder / font_file_name(family_id, weight, style)).write_bytes(data)
        entries.append(manifest_entry(package, weight, style, license_id))
    missing = [v for v in wanted_variants(family_id) if v not in package.files]
    notes = [f"{family_id}: no {font_file_name(family_id, *v)}" for v in missing]
    return entries, notes


def fetch(family_id: str, cache: Path) -> Package:
    return read_package(family_id, npm_pack(family_id, cache))


def fetch_all(cache: Path, jobs: int) -> tuple[list[Package], list[str]]:
    """Download and read every family; return packages and failure reports."""
    packages, failures = [], []

    def attempt(family_id: str) -> Package | str:
        try:
            return fetch(family_id, cache)
        except (SkipFamily, OSError, tarfile.TarError, ValueError, KeyError) as exc:
            return f"{family_id}: {exc}"
        except subprocess.TimeoutExpired:
            return f"{family_id}: npm pack timed out"

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for result in pool.map(attempt, FAMILIES + RANK):
            (failures if isinstance(result, str) else packages).append(result)
    return packages, failures


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def write_readme(path: Path, manifest: list[dict]) -> None:
    firsts = [e for e in manifest if e["weight"] == 400 and e["style"] == "normal"]
    categories = Counter(e["category"] for e in firsts)
    rank_categories = Counter(e["category"] for e in firsts if e.get("split") == RANK_SPLIT)
    text = README_TEXT.format(
        families=len(firsts),
        files=len(manifest),
        categories=", ".join(f"{n} {c}" for c, n in sorted(categories.items())),
        licenses=" / ".join(sorted({e["license"] for e in manifest})),
        rank=sum(rank_categories.values()),
        rank_categories=", ".join(f"{n} {c}" for c, n in sorted(rank_categories.items())),
    )
    path.write_text("# Fonts\n\n" + textwrap.fill(text, width=88, break_on_hyphens=False) + "\n")


def build(packages: list[Package], staging: Path) -> tuple[list[dict], list[str]]:
    """Write all families into staging; return the manifest and report lines."""
    manifest, reports = [], []
    for package in packages:
        try:
            entries, notes = write_family(package, staging)
        except SkipFamily as exc:
            reports.append(f"skipped {package.family_id}: {exc}")
            continue
        manifest.extend(entries)
        reports.extend(f"note {note}" for note in notes)
    manifest.sort(key=lambda entry: entry["file"])
    write_json(staging / "manifest.json", manifest)
    write_readme(staging / "README.md", manifest)
    return manifest, reports


def replace_dir(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if len(set(FAMILIES)) != len(FAMILIES):
        raise SystemExit("duplicate family ids in FAMILIES")
    if len(set(RANK)) != len(RANK):
        raise SystemExit("duplicate family ids in RANK")
    if shared := sorted(set(RANK) & set(FAMILIES)):
        raise SystemExit(f"RANK family ids also in FAMILIES: {', '.join(shared)}")
    args.cache.mkdir(parents=True, exist_ok=True)
    packages, failures = fetch_all(args.cache, args.jobs)
    for line in failures:
        print("skipped", line, file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="fetch_fonts_") as tmp:
        staging = Path(tmp) / "fonts"
        staging.mkdir()
        manifest, reports = build(packages, staging)
        for line in reports:
            print(line, file=sys.stderr)
        if not manifest:
            print("no fonts fetched; leaving", args.out, "untouched", file=sys.stderr)
            return 1
        replace_dir(staging, args.out)
    families = len({entry["family_id"] for entry in manifest})
    print(f"wrote {families} families, {len(manifest)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

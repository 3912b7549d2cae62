"""Production installs take exactly the pinned, hash-checked versions of requirements.lock (review finding 11:
dependencies were ranges without a lock file), and the lock still satisfies pyproject.toml's ranges."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _locked() -> dict[str, list[tuple[str, list[str]]]]:
    """name -> [(pinned version, its hashes)], one entry per marker variant."""
    text = (ROOT / "requirements.lock").read_text()
    locked: dict[str, list[tuple[str, list[str]]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        if block.startswith("#"):
            continue
        requirement = Requirement(block.split("\\", 1)[0].strip())
        [specifier] = list(requirement.specifier)
        assert specifier.operator == "==", block
        locked.setdefault(canonicalize_name(requirement.name), []).append(
            (specifier.version, re.findall(r"--hash=sha256:([0-9a-f]{64})", block)))
    return locked


def test_every_dependency_is_pinned_with_hashes_within_pyproject_ranges():
    locked = _locked()
    assert all(hashes for variants in locked.values() for _, hashes in variants)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in declared:
        requirement = Requirement(line)
        variants = locked.get(canonicalize_name(requirement.name))
        assert variants, f"{requirement.name} is not in requirements.lock: run make lock"
        for version, _ in variants:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {requirement.name} {version}, outside {requirement.specifier}: run make lock")
    assert "setuptools" in locked  # builds ShopSync itself without fetching an unpinned build backend


def test_the_deploy_path_installs_from_the_lock_with_hashes_required():
    release = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("release:")]
    assert release and "scripts/install-production.sh" in release[0]
    script = (ROOT / "scripts/install-production.sh").read_text()
    assert "--require-hashes --no-deps -r requirements.lock" in script
    assert "--no-deps --no-build-isolation ." in script

#!/usr/bin/env bash
# The production install (Procfile's release step): exactly the versions pinned in requirements.lock, each
# download checked against its hash, then ShopSync itself without resolving anything more. `make lock`
# regenerates the lock after a change to pyproject.toml's dependencies (README, "Dependencies").
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
python -m pip install --quiet --no-deps --no-build-isolation .
python -m pip check

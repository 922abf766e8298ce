#!/usr/bin/env bash
# Set up Neiqin from this checkout on Debian 12 (Python >= 3.11, Node 20):
# system packages (when root), the Python virtualenv in .venv, and the pinned front-end assets.
#   scripts/setup.sh          what the product needs to run
#   scripts/setup.sh --test   plus what the test suite needs (Chromium, CJK fonts, poppler, dev tools)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
[ "${1:-}" = "--test" ] && mode=test

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. System packages. Chromium comes from Debian (tests never download a browser).
packages=(python3-venv libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)
[ "$mode" = test ] && packages+=(chromium poppler-utils postgresql-client)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        log "installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        log "WARNING: not root; please install: sudo apt-get install ${missing[*]}"
    fi
fi

# 2. Python virtualenv (reinstalled only when pyproject.toml changes).
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || { log "creating .venv"; "$python" -m venv .venv; }
extra=""
[ "$mode" = test ] && extra="[dev]"
stamp=".venv/.neiqin-installed-$(sha256sum pyproject.toml | cut -c1-16)${extra:+-dev}"
if [ ! -f "$stamp" ]; then
    log "installing Python packages (.venv)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".${extra}"
    rm -f .venv/.neiqin-installed-*
    touch "$stamp"
fi

# 3. Front-end libraries pinned in package.json/package-lock.json, copied into static files.
if [ ! -f neiqin/static/vendor/.stamp ] || [ package-lock.json -nt neiqin/static/vendor/.stamp ]; then
    log "installing front-end assets (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    .venv/bin/python scripts/vendor_assets.py
    touch neiqin/static/vendor/.stamp
fi
log "ready"

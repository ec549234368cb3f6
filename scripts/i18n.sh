#!/usr/bin/env bash
# Extract, update and compile the message catalogs of the core and of every
# in-repo plugin: `scripts/i18n.sh [extract|compile]` (default: both).
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALES=(zh_Hans ru)
KEYWORDS=(-k _ -k _l -k N_ -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2)

catalog() {  # $1 = package dir
  local pkg=$1 pot="$1/translations/messages.pot"
  mkdir -p "$pkg/translations"
  "$PYBABEL" extract -F babel.cfg "${KEYWORDS[@]}" --no-location --sort-output \
    --project marketplace-kit --copyright-holder "marketplace-kit developers" -o "$pot" "$pkg"
  for loc in "${LOCALES[@]}"; do
    if [[ -f "$pkg/translations/$loc/LC_MESSAGES/messages.po" ]]; then
      "$PYBABEL" update --no-fuzzy-matching -i "$pot" -d "$pkg/translations" -l "$loc"
    else
      "$PYBABEL" init -i "$pot" -d "$pkg/translations" -l "$loc"
    fi
  done
}

compile() {
  "$PYBABEL" compile -d "$1/translations"
}

mode=${1:-all}
packages=("marketplace_kit")
for plugin in plugins/*/marketplace_kit_*/; do
  if [[ -f "$plugin/__init__.py" ]]; then packages+=("${plugin%/}"); fi  # not *.egg-info
done
for pkg in "${packages[@]}"; do
  if [[ $mode != compile ]]; then catalog "$pkg"; fi
  if [[ $mode != extract ]]; then compile "$pkg"; fi
done

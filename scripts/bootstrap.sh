# Sourced by ./atelier and ./test: makes sure uv and the locked environment exist, on a machine with
# nothing but Python 3.11+. Idempotent and quick when everything is already in place.
source "$(dirname "${BASH_SOURCE[0]}")/find_uv.sh"
"$UV" sync --frozen --quiet --project "$ATELIER_ROOT"

# Sourced by ./uv and scripts/bootstrap.sh: sets UV to a uv binary on a machine with nothing but
# Python 3.11+: the one on PATH, else the one in .tools/, installed there on first use.
ATELIER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.9"

if command -v uv >/dev/null 2>&1; then
  UV="$(command -v uv)"
elif [ -x "$ATELIER_ROOT/.tools/bin/uv" ]; then
  UV="$ATELIER_ROOT/.tools/bin/uv"
else
  echo "atelier: installing uv $UV_VERSION into .tools/ (first run only)" >&2
  python3 -m venv "$ATELIER_ROOT/.tools"
  "$ATELIER_ROOT/.tools/bin/pip" install --quiet "uv==$UV_VERSION"
  UV="$ATELIER_ROOT/.tools/bin/uv"
fi
export UV_PYTHON_DOWNLOADS="${UV_PYTHON_DOWNLOADS:-never}"
# Trust the system certificate store (machines behind a TLS-inspecting proxy add their CA there).
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-true}"

# Sourced by scripts/run, scripts/test and scripts/bench: creates .venv on a fresh machine and installs the
# project with its dev extra, again whenever pyproject.toml changes.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $("$PY" --version 2>&1) (first run only)" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "installing the project and its dev tools into .venv (pyproject.toml changed or first run;" \
    "a few minutes on a fresh machine)..." >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
  echo "installed." >&2
fi
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1

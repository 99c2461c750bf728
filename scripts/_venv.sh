# Sourced by scripts/run, scripts/test and scripts/bench: creates .venv on a fresh machine and installs the
# project with its dev extra, again whenever pyproject.toml changes.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1

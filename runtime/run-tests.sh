#!/usr/bin/env sh
# Runs the scoring runtime's tests with a Python that has scikit-learn (Debian's python3-sklearn).
PY="${MLFUNC_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import sklearn, joblib, numpy' 2>/dev/null; then
  echo "runtime tests need $PY with scikit-learn, joblib and numpy: run 'apt-get install -y python3-sklearn', or set MLFUNC_PYTHON to an interpreter that has them" >&2
  exit 1
fi
cd "$(dirname "$0")/.." && exec "$PY" -m unittest discover -s runtime/tests -t runtime

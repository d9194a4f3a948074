#!/usr/bin/env bash
# Builds asyncio_rs's manylinux2014 wheels (glibc 2.17 and later) for every CPython 3.11–3.13
# found (pyenv's, else the PATH's), and an sdist, into target/wheels-dist — with maturin and
# zig from PyPI, no Docker. maturin checks each wheel against the manylinux policy (its
# auditwheel check) as it builds it. Then each wheel is installed into a fresh venv whose PATH
# has no cargo or rustc, where the package's tests and the seed programs run.
#
#   bash crates/asyncio-py/wheels.sh            # build and test
#   WHEELS_NO_TEST=1 bash crates/asyncio-py/wheels.sh   # build only
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="$PWD/target/wheels-dist"
TOOLS="$PWD/target/wheel-tools"
rm -rf "$OUT"
[ -x "$TOOLS/bin/maturin" ] || {
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q --disable-pip-version-check "maturin>=1.5,<2" ziglang
}

interpreters=()
for v in 3.11 3.12 3.13; do
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v"*/bin/"python$v" "$(command -v "python$v" || true)"; do
        if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c 'import sys' >/dev/null 2>&1; then
            interpreters+=("$cand")
            break
        fi
    done
done
if [ "${#interpreters[@]}" -eq 0 ]; then
    echo "no CPython 3.11–3.13 found" >&2
    exit 1
fi
echo "== building for: ${interpreters[*]}"
# maturin finds zig through `python3 -m ziglang`: the tools' venv first on the PATH.
export PATH="$TOOLS/bin:$PATH"
"$TOOLS/bin/maturin" build --release --zig --compatibility manylinux2014 \
    -m crates/asyncio-py/Cargo.toml -o "$OUT" -i "${interpreters[@]}"
"$TOOLS/bin/maturin" sdist -m crates/asyncio-py/Cargo.toml -o "$OUT"
ls -l "$OUT"

[ -n "${WHEELS_NO_TEST:-}" ] && exit 0

# The PATH the wheels are tested with: the system's, without cargo's or rustup's directories.
CLEAN_PATH="/usr/local/bin:/usr/bin:/bin"
if PATH="$CLEAN_PATH" command -v cargo >/dev/null || PATH="$CLEAN_PATH" command -v rustc >/dev/null; then
    echo "cargo or rustc is on $CLEAN_PATH: the test would not show the wheel needs neither" >&2
    exit 1
fi
for py in "${interpreters[@]}"; do
    tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
    wheel=$(ls "$OUT"/asyncio_rs-*-"$tag"-"$tag"-manylinux*.whl)
    venv="$PWD/target/wheel-test-$tag"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    echo "== $(basename "$wheel") in a venv without cargo or rustc"
    # The seed programs' own dependencies come from PyPI; asyncio_rs only from the wheel.
    PATH="$CLEAN_PATH" "$venv/bin/pip" install -q --disable-pip-version-check \
        aiohttp requests codetiming
    PATH="$CLEAN_PATH" "$venv/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
    PATH="$CLEAN_PATH" "$venv/bin/python" -c \
        'import asyncio_rs, sys; print("asyncio_rs", asyncio_rs.__version__, "on", sys.version.split()[0])'
    (cd crates/asyncio-py && PATH="$CLEAN_PATH" "$venv/bin/python" -m unittest discover -s tests -p 'test_*.py')
done

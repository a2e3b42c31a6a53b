#!/bin/sh
# CLI tests (issue 4): `lapis run` per op, a .npy write-then-read roundtrip,
# and bad input files. Usage:
#   cli_test.sh LAPIS op OP          every dtype, --n 9 --batch 3, exit 0
#   cli_test.sh LAPIS all-ops        every op listed by `lapis run --help`
#   cli_test.sh LAPIS roundtrip      --output then --input, f64 and f32
#   cli_test.sh LAPIS bad-files      garbage, truncated, empty, missing files
# A run "crashes" when the shell sees a signal (exit status > 128).
set -u
export LC_ALL=C
LAPIS=$1
MODE=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lapis_cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_ok DESC CMD...: exit 0
expect_ok() {
    desc=$1
    shift
    "$@" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "$desc: exit $rc"
        sed 's/^/    /' "$TMP/out"
    fi
    return $rc
}

# expect_error DESC CMD...: a nonzero exit that is not a signal, and a message
expect_error() {
    desc=$1
    shift
    "$@" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        fail "$desc: exit 0, want an error"
    elif [ $rc -gt 128 ]; then
        fail "$desc: crashed (exit $rc)"
        sed 's/^/    /' "$TMP/out"
    elif [ ! -s "$TMP/out" ]; then
        fail "$desc: exit $rc without a message"
    fi
}

run_op() {
    for dt in f64 f32; do
        expect_ok "run $1 --dtype $dt" "$LAPIS" run "$1" --n 9 --batch 3 --dtype "$dt" --repeat 2 &&
            grep -q "status    ok" "$TMP/out" || fail "run $1 --dtype $dt: no 'status ok' line"
    done
    expect_ok "run $1 (no batch)" "$LAPIS" run "$1" --n 5 --repeat 1
}

# npy_shape FILE: the shape tuple of a .npy header
npy_shape() {
    head -c 128 "$1" | tr -d '\000' | sed -n "s/.*'shape': *(\([^)]*\)).*/\1/p" | tr -d ' '
}

case "$MODE" in
op)
    run_op "$3"
    ;;
all-ops)
    ops=$("$LAPIS" run --help 2>&1 | sed -n '/^ops:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
    [ -n "$ops" ] || fail "no ops listed by 'lapis run --help'"
    for op in $ops; do run_op "$op"; done
    ;;
roundtrip)
    for dt in f64 f32; do
        want_descr="'<f8'"
        [ $dt = f32 ] && want_descr="'<f4'"
        a="$TMP/inv_$dt.npy"
        b="$TMP/inv2_$dt.npy"
        expect_ok "write $dt" "$LAPIS" run inv --n 9 --batch 3 --dtype $dt --repeat 1 --output "$a" || continue
        [ -s "$a" ] || { fail "$a not written"; continue; }
        [ "$(npy_shape "$a")" = "3,9,9" ] || fail "$dt shape in header: '$(npy_shape "$a")'"
        head -c 64 "$a" | grep -q "$want_descr" || fail "$dt descr is not $want_descr"
        # read it back (inv of the inverse) and write again: same shape and size
        expect_ok "read $dt" "$LAPIS" run inv --input "$a" --dtype $dt --repeat 1 --output "$b" || continue
        grep -q "batch (3,) of 9 x 9" "$TMP/out" || fail "read $dt: shape not (3, 9, 9)"
        grep -q "status    ok" "$TMP/out" || fail "read $dt: status not ok"
        [ "$(wc -c <"$a")" -eq "$(wc -c <"$b")" ] || fail "$dt: rewritten file has another size"
        # multi-output ops write FILE_<name>.npy for the others
        c="$TMP/lu_$dt.npy"
        expect_ok "write lu_factor $dt" "$LAPIS" run lu_factor --n 6 --m 8 --batch 2 --dtype $dt --repeat 1 --output "$c"
        [ "$(npy_shape "$c")" = "2,8,6" ] || fail "lu_factor $dt: shape '$(npy_shape "$c")'"
        [ -s "$TMP/lu_${dt}_pivots.npy" ] || fail "lu_factor $dt: no pivots file"
        # a non-square .npy into a square op is an error, not a crash
        expect_error "square op on (2, 8, 6)" "$LAPIS" run inv --input "$c" --repeat 1
    done
    ;;
bad-files)
    printf 'garbage\n' >"$TMP/garbage.npy"
    : >"$TMP/empty.npy"
    "$LAPIS" run inv --n 9 --batch 3 --repeat 1 --output "$TMP/good.npy" >/dev/null 2>&1 ||
        fail "cannot write good.npy"
    head -c 100 "$TMP/good.npy" >"$TMP/truncated_header.npy"
    head -c 300 "$TMP/good.npy" >"$TMP/truncated_data.npy"
    # a header that claims an absurd shape
    head -c 128 "$TMP/good.npy" | sed "s/(3, 9, 9)/(3, 99999999999, 9)/" >"$TMP/huge.npy"
    head -c 128 "$TMP/good.npy" | sed "s/'<f8'/'|O8'/" >"$TMP/object.npy"
    head -c 128 "$TMP/good.npy" | sed "s/(3, 9, 9)/(3, -9, 9)/" >"$TMP/negative.npy"
    printf '%%%%MatrixMarket matrix array real general\n3 3\n1\n2\n' >"$TMP/short.mtx"
    printf 'not a matrix market file\n' >"$TMP/garbage.mtx"
    printf '%%%%MatrixMarket matrix array real general\n99999999 99999999\n1\n' >"$TMP/big.mtx"
    printf '%%%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n9 9 2.0\n' >"$TMP/oob.mtx"
    printf '\223NUMPY\001\000\377\377{}' >"$TMP/header_len.npy"
    hdr() { # a v1 header (70 bytes + newline padding is not needed by the reader)
        printf "\223NUMPY\001\000\106\000{'descr': '<f8', 'fortran_order': %s, 'shape': %s, }" "$1" "$2"
    }
    { hdr True '(2, 2)'; head -c 32 /dev/zero; } >"$TMP/fortran.npy"
    { hdr False '(1,1,1,1,1,1,1,1,1,1,2,2)'; } >"$TMP/ndim12.npy"
    { hdr False '(2,)'; head -c 16 /dev/zero; } >"$TMP/vector.npy"
    for f in garbage.npy empty.npy truncated_header.npy truncated_data.npy huge.npy object.npy \
        negative.npy short.mtx garbage.mtx big.mtx oob.mtx header_len.npy fortran.npy \
        ndim12.npy vector.npy; do
        expect_error "--input $f" "$LAPIS" run inv --input "$TMP/$f" --repeat 1
    done
    expect_error "--input missing.npy" "$LAPIS" run inv --input "$TMP/missing.npy" --repeat 1
    expect_error "--output into a missing directory" "$LAPIS" run inv --n 4 --repeat 1 \
        --output "$TMP/no/such/dir/x.npy"
    expect_error "unknown op" "$LAPIS" run no_such_op --n 4
    expect_error "bad --n" "$LAPIS" run inv --n -3
    expect_error "bad --dtype" "$LAPIS" run inv --dtype f16
    ;;
*)
    echo "usage: $0 LAPIS op OP | all-ops | roundtrip | bad-files"
    exit 2
    ;;
esac

if [ $fails -ne 0 ]; then
    echo "$fails failed"
    exit 1
fi
echo "ok"

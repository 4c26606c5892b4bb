#!/usr/bin/env bash
# run.sh: the numeric core (src/core) built for a Cortex-M4F: `make cortex-m`.
# docs/porting.md explains what each step proves.
#
#   1. compile every src/core/*.cpp with arm-none-eabi-g++ for a Cortex-M4F
#      (hard float, single-precision FPU), no exceptions, no RTTI; list the
#      objects and their sizes
#   2. list the double-precision helper calls per function and fail on any
#      that tests/cortex_m/double_allowlist.txt does not give a reason for
#   3. link tests/cortex_m/infer.cpp with ONLY the inference files
#      (INFER_FILES below, the list docs/porting.md gives) and the C library:
#      an undefined symbol means the list is incomplete
#   4. the deepest stack of one update and of one action sample, from GCC's
#      per-function frame sizes and call graph (tools/stack_depth.py)
#   5. link tests/cortex_m/main.cpp with the training files (TRAIN_FILES) and run it under
#      qemu-system-arm (mps2-an386, a Cortex-M4 board) with semihosting: one
#      action sample and one update, no heap use inside either, measured stack
#   6. build the same main.cpp for this machine and compare the printed
#      numbers with the Cortex-M4 run's
#   7. the memory table of docs/porting.md (tests/cortex_m/memory_table.cpp)
# Steps 5 and 6 are skipped, and say so, when qemu-system-arm is missing.
#
# Needs: gcc-arm-none-eabi, picolibc-arm-none-eabi,
# libstdc++-arm-none-eabi-picolibc (C++ headers and libraries for picolibc),
# python3; for step 5: qemu-system-arm.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${OUT:-build-cortex-m}
ARM_CXX=${ARM_CXX:-arm-none-eabi-g++}
HOST_CXX=${HOST_CXX:-g++}
# The flags a porter uses (docs/porting.md), plus the project's rules:
# -ffp-contract=off (no a*b+c -> FMA contraction: the same rounding as the
# reference build) and -fno-math-errno (sqrtf is then one VSQRT instruction).
CPU=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
FLAGS=(-std=c++17 -fno-exceptions -fno-rtti "${CPU[@]}" -O2 -ffp-contract=off -fno-math-errno
       -Wall -Wextra -Wpedantic -Wshadow -Wdouble-promotion --specs=picolibcpp.specs)
# picolibc with semihosting output, laid out for qemu's mps2-an386 (code at
# 0, RAM at 0x20000000); a 64 KB stack so the painted measurement has room.
LINK=(--oslib=semihost --crt0=semihost -Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=4M
      -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=4M -Wl,--defsym=__stack_size=64K)
# The files a porter takes (docs/porting.md): inference only (flow_sample
# on a parameter block), and training (agent_init, rql_update, agent_act on
# in-memory batches). train.cpp (the Trainer: dataset, sampler and update
# in one loop) is optional and left out of both links on purpose.
INFER_FILES=(matmul_ref kernels layers rng mlp flow flow_exact adam)
TRAIN_FILES=("${INFER_FILES[@]}" value critic batch config memory rql)

mkdir -p "$OUT/core"
rm -f "$OUT"/core/*.o "$OUT"/core/*.su "$OUT"/core/*.ci

echo "== 1. src/core for a Cortex-M4F: $ARM_CXX ${FLAGS[*]}"
objs=()
for src in src/core/*.cpp; do
  name=$(basename "$src" .cpp)
  "$ARM_CXX" "${FLAGS[@]}" -Isrc -fstack-usage -fcallgraph-info=su -c "$src" -o "$OUT/core/$name.o"
  objs+=("$OUT/core/$name.o")
done
arm-none-eabi-size -t "${objs[@]}"
# -ffp-contract=off: no fused multiply-add may appear (VFMA/VFMS/VFNMA/VFNMS),
# so every product rounds as it does in the host's reference build.
fused=$(arm-none-eabi-objdump -d "${objs[@]}" | grep -cE '\svf(n)?m[as]\.f32\s' || true)
echo "  fused multiply-add instructions: $fused"
[ "$fused" -eq 0 ]

echo "== 2. double-precision helpers (software-emulated on a single-precision FPU)"
for o in "${objs[@]}"; do
  syms=$(arm-none-eabi-nm -u "$o" | awk '{print $2}' |
         grep -E '^(__aeabi_(d[a-z0-9]+|f2d|i2d|ui2d|l2d|ul2d)|sqrt|log|exp|pow|floor|ceil|tanh|strtod)$' |
         tr '\n' ' ' || true)
  printf '  %-16s %s\n' "$(basename "$o")" "${syms:--}"
done
python3 tests/cortex_m/double_check.py "$OUT"/core/*.ci --allow tests/cortex_m/double_allowlist.txt

echo "== 3. inference with only: ${INFER_FILES[*]}"
infer_objs=()
for f in "${INFER_FILES[@]}"; do infer_objs+=("$OUT/core/$f.o"); done
"$ARM_CXX" "${FLAGS[@]}" -Isrc -c tests/cortex_m/infer.cpp -o "$OUT/infer.o"
# Linked by the C driver against picolibc and libm alone: inference needs no
# C++ runtime (no libstdc++, operator new or exception support), only the
# C++ headers at compile time.
"${ARM_CXX%g++}gcc" "${CPU[@]}" --specs=picolibc.specs "${LINK[@]}" "$OUT/infer.o" "${infer_objs[@]}" -lm \
  -o "$OUT/infer.elf"
arm-none-eabi-size -t "${infer_objs[@]}" | tail -1 | awk '{print "  inference objects: text " $1 " B, data " $2 " B, bss " $3 " B"}'

echo "== 4. deepest stack (static: GCC frame sizes along the deepest call chain)"
python3 tools/stack_depth.py "$OUT"/core/*.ci --indirect kernels.cpp \
  --root 'rql::rql_update(' --root 'rql::trainer_step(' --root 'rql::agent_act(' --root 'rql::flow_sample(' \
  | tee "$OUT/stack.txt"

echo "== 5. one action sample and one update on a Cortex-M4 (qemu-system-arm, mps2-an386)"
echo "  training files: ${TRAIN_FILES[*]}"
train_objs=()
for f in "${TRAIN_FILES[@]}"; do train_objs+=("$OUT/core/$f.o"); done
"$ARM_CXX" "${FLAGS[@]}" -Isrc -c tests/cortex_m/main.cpp -o "$OUT/main.o"
"$ARM_CXX" "${FLAGS[@]}" "${LINK[@]}" "$OUT/main.o" "${train_objs[@]}" -o "$OUT/rql_m4.elf"
arm-none-eabi-size -t "${train_objs[@]}" | tail -1 | awk '{print "  training objects: text " $1 " B, data " $2 " B, bss " $3 " B"}'
if ! command -v qemu-system-arm >/dev/null; then
  echo "  SKIPPED: qemu-system-arm is not installed (apt-get install qemu-system-arm); steps 5 and 6 not run"
else
  qemu=(qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native)
  # qemu writes the program's semihosting output to its stderr; its exit
  # code is the program's.
  timeout 120 "${qemu[@]}" -kernel "$OUT/infer.elf" > "$OUT/infer.txt" 2>&1 || { cat "$OUT/infer.txt"; exit 1; }
  sed 's/^/  /' "$OUT/infer.txt"
  timeout 300 "${qemu[@]}" -kernel "$OUT/rql_m4.elf" > "$OUT/m4.txt" 2>&1 || { cat "$OUT/m4.txt"; exit 1; }
  sed 's/^/  /' "$OUT/m4.txt"
  grep -q '^cortex-m: ok$' "$OUT/m4.txt"

  echo "== 6. the same program on this machine, compared"
  "$HOST_CXX" -std=c++17 -O2 -ffp-contract=off -fno-math-errno -fno-exceptions -fno-rtti -Isrc \
    tests/cortex_m/main.cpp src/core/*.cpp -o "$OUT/rql_host"
  "$OUT/rql_host" > "$OUT/host.txt"
  grep -q '^cortex-m: ok$' "$OUT/host.txt"
  python3 tests/cortex_m/compare.py "$OUT/m4.txt" "$OUT/host.txt"
fi

echo "== 7. memory of the three sizes of docs/porting.md (the core's formulas; heap measured on this machine)"
"$HOST_CXX" -std=c++17 -O2 -ffp-contract=off -fno-exceptions -fno-rtti -Isrc \
  tests/cortex_m/memory_table.cpp src/core/*.cpp -o "$OUT/memory_table"
"$OUT/memory_table" | tee "$OUT/memory.txt"

echo "== cortex-m: ok"

#!/usr/bin/env bash
# bench.sh: footprint and speed of exported policies on Cortex-M4 and M7
# (`make bench-embedded`; the table of docs/embedded.md).
#
# For each actor (64x64, 256x256, 4x512; obs 29, action 8, h 1 and 5, F 10),
# float32 and int8 kernels:
#   1. `rql export c --untrained CONFIG`: a freshly initialised actor (the
#      cost does not depend on the weight values)
#   2. the policy compiled alone for each CPU: flash = text + data of
#      rql_policy.o (code and static const weights), RAM = its bss (the
#      scratch), deepest stack of rql_policy_act from GCC's frame sizes and
#      call graph (tools/stack_depth.py; -fstack-usage -fcallgraph-info=su)
#   3. tests/embedded/bench_act.c linked with it and run under qemu-system-arm
#      -icount shift=0: INSTRUCTIONS per rql_policy_act call (not cycles) and
#      instructions per multiply-accumulate (RQL_POLICY_MACS)
# Needs: a built rql (RQL=...), gcc-arm-none-eabi, picolibc-arm-none-eabi,
# qemu-system-arm, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

RQL=${RQL:-build/rql}
OUT=${OUT:-build-embedded}
SIZES=${SIZES:-"64,64 256,256 512,512,512,512"}
HS=${HS:-"1 5"}
M4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
M7=(-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16)
CFLAGS=(-std=c99 -O2 -ffp-contract=off -fno-math-errno -Wall -Wextra -Wpedantic -Wdouble-promotion -Wconversion)
LINK=(--specs=picolibc.specs --oslib=semihost --crt0=semihost -Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=4M
      -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=4M)

mkdir -p "$OUT"
printf '| actor | h | weights | CPU | flash (B) | RAM scratch (B) | stack (B) | MACs/action | instructions/action | instr/MAC |\n'
printf '|---|---|---|---|---:|---:|---:|---:|---:|---:|\n'
for hidden in $SIZES; do
  for h in $HS; do
    cfg="$OUT/cfg_${hidden//,/x}_h$h.txt"
    printf 'obs_dim=29\naction_dim=8\nh=%s\nflow_steps=10\nactor_hidden_dims=%s\nvalue_hidden_dims=8\nensemble_ct=1\nbatch_size=2\nseed=0\n' \
      "$h" "$hidden" > "$cfg"
    for w in f32 int8; do
      dir="$OUT/${hidden//,/x}_h${h}_$w"
      "$RQL" export c --untrained "$cfg" --weights "$w" --out "$dir" > /dev/null
      macs=$(sed -n 's/^#define RQL_POLICY_MACS \([0-9]*\)L.*/\1/p' "$dir/rql_policy.h")
      for cpu in m4 m7; do
        if [ $cpu = m4 ]; then flags=("${M4[@]}"); machine=mps2-an386; else flags=("${M7[@]}"); machine=mps2-an500; fi
        arm-none-eabi-gcc "${CFLAGS[@]}" "${flags[@]}" -fstack-usage -fcallgraph-info=su \
          -c "$dir/rql_policy.c" -o "$dir/policy_$cpu.o"
        read -r text data bss _ < <(arm-none-eabi-size "$dir/policy_$cpu.o" | tail -1)
        stack=$(python3 tools/stack_depth.py "$dir"/policy_$cpu.ci --root 'rql_policy_act' |
                sed -n 's/^rql_policy_act: \([0-9][0-9]*\) bytes deepest stack.*/\1/p' | head -1 || true)
        arm-none-eabi-gcc "${CFLAGS[@]}" "${flags[@]}" "${LINK[@]}" -I"$dir" tests/embedded/bench_act.c \
          "$dir/policy_$cpu.o" -o "$dir/bench_$cpu.elf"
        res=$(timeout 600 qemu-system-arm -M $machine -nographic -monitor none -icount shift=0 \
              -semihosting-config enable=on,target=native -kernel "$dir/bench_$cpu.elf" 2>&1)
        read -r insns per_mac < <(echo "$res" | awk -v macs="$macs" '
          /^calib_iters/ {ci = $2; ct = $4}
          /^act_calls/ {calls = $2; at = $4}
          END {ipt = 2 * ci / ct; i = at / calls * ipt; printf "%.0f %.2f\n", i, i / macs}')
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${hidden//,/x}" "$h" "$w" "$cpu" \
          "$((text + data))" "$bss" "${stack:-?}" "$macs" "$insns" "$per_mac"
      done
    done
  done
done

// heap_count.h: replaces the program's global operator new / delete with
// versions that count calls and live bytes (test instrumentation for
// tests/cortex_m/main.cpp and memory_table.cpp, not library state).
// Include it in exactly ONE translation unit of a program.
//
// Each block carries its size in an 8-byte header (keeping the payload
// 8-byte aligned), so delete can subtract it; the counts are payload bytes,
// what the core asked for. No aligned (align_val_t) forms: the core never
// allocates over-aligned types, and such a call would fail to link here
// rather than pass uncounted.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>

namespace heap_count {

inline long calls = 0;  // operator new calls so far
inline long live = 0;   // payload bytes allocated now
inline long peak = 0;   // max of live so far

constexpr std::size_t kHeader = 8;

inline void* allocate(std::size_t n) {
  unsigned char* p = static_cast<unsigned char*>(std::malloc(n + kHeader));
  if (!p) std::abort();  // no exceptions in these programs: out of memory ends the run
  std::memcpy(p, &n, sizeof n);
  ++calls;
  live += static_cast<long>(n);
  if (live > peak) peak = live;
  return p + kHeader;
}

inline void release(void* q) {
  if (!q) return;
  unsigned char* p = static_cast<unsigned char*>(q) - kHeader;
  std::size_t n;
  std::memcpy(&n, p, sizeof n);
  live -= static_cast<long>(n);
  std::free(p);
}

}  // namespace heap_count

void* operator new(std::size_t n) { return heap_count::allocate(n); }
void* operator new[](std::size_t n) { return heap_count::allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return heap_count::allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return heap_count::allocate(n); }
void operator delete(void* p) noexcept { heap_count::release(p); }
void operator delete[](void* p) noexcept { heap_count::release(p); }
void operator delete(void* p, std::size_t) noexcept { heap_count::release(p); }
void operator delete[](void* p, std::size_t) noexcept { heap_count::release(p); }

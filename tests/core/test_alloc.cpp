// test_alloc.cpp: replaces the global operator new / delete of the test
// binary with versions that count allocations (alloc_counter.h), and checks
// the counter itself, so that a "zero allocations" test elsewhere can never
// pass because the counter is blind.
//
// The replacement covers every replaceable allocation function of C++17:
// plain, array, nothrow, and the align_val_t forms (over-aligned types).
// Storage comes from malloc / aligned_alloc; each delete form frees it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "support/alloc_counter.h"

namespace {

std::atomic<long> g_allocations{0};
std::atomic<std::size_t> g_largest{0};

void note_size(std::size_t n) {
  std::size_t seen = g_largest.load(std::memory_order_relaxed);
  while (n > seen && !g_largest.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
}

void* counted_alloc(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  note_size(n);
  return std::malloc(n ? n : 1);
}

void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  note_size(n);
  const std::size_t a = static_cast<std::size_t>(al);
  const std::size_t size = n ? (n + a - 1) / a * a : a;  // aligned_alloc wants a multiple of a
  return std::aligned_alloc(a, size);
}

// Every delete form frees through this one function, kept out of line: when
// GCC inlines a replaced operator delete into a caller, it sees free() on a
// pointer from operator new and warns (-Wmismatched-new-delete, with the
// sanitizers' -O2 -g); the pairing is correct here, since our operator new
// allocates with malloc.
[[gnu::noinline]] void counted_free(void* p) noexcept { std::free(p); }

}  // namespace

long rql_test_allocations() { return g_allocations.load(std::memory_order_relaxed); }
std::size_t rql_test_largest_allocation() { return g_largest.load(std::memory_order_relaxed); }
void rql_test_reset_largest_allocation() { g_largest.store(0, std::memory_order_relaxed); }

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t al) {
  if (void* p = counted_aligned_alloc(n, al)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) {
  if (void* p = counted_aligned_alloc(n, al)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(n, al);
}

void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }

namespace {

// An over-aligned type, allocated through the align_val_t overloads.
struct alignas(128) Wide {
  char bytes[128];
};

// The compiler may elide a new/delete pair whose result is unused (C++14
// [expr.new]/10); a volatile sink keeps each allocation observable.
void* volatile g_sink = nullptr;

TEST(AllocCounterTest, CountsEveryFormOfOperatorNew) {
  const long before = rql_test_allocations();
  int* one = new int(7);                  // plain
  g_sink = one;
  int* many = new int[5];                 // array
  g_sink = many;
  int* quiet = new (std::nothrow) int;    // nothrow
  g_sink = quiet;
  Wide* wide = new Wide;                  // aligned
  g_sink = wide;
  const long after = rql_test_allocations();
  delete one;
  delete[] many;
  delete quiet;
  delete wide;
  EXPECT_EQ(after - before, 4);
}

TEST(AllocCounterTest, SeesStandardLibraryAllocations) {
  rql_test_reset_largest_allocation();
  const long before = rql_test_allocations();
  {
    std::vector<double> v(1000, 1.0);     // one allocation for the buffer
    g_sink = v.data();
  }
  const long after = rql_test_allocations();
  EXPECT_EQ(after - before, 1);
  EXPECT_EQ(rql_test_largest_allocation(), 1000 * sizeof(double));  // 8000 bytes
}

TEST(AllocCounterTest, CountsNothingWhenNothingIsAllocated) {
  double stack[64];
  const long before = rql_test_allocations();
  for (int i = 0; i < 64; ++i) stack[i] = i * 0.5;
  g_sink = stack;
  EXPECT_EQ(rql_test_allocations() - before, 0);
}

}  // namespace

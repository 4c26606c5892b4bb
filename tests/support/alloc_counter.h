// alloc_counter.h: heap-allocation counting for tests (test instrumentation,
// not library state). tests/test_alloc.cpp replaces the global operator new
// of the whole test binary with a counting one; any test file can read it:
//
//   const long before = rql_test_allocations();
//   flow_sample(...);                                    // the code under test
//   EXPECT_EQ(rql_test_allocations() - before, 0);
//
// Read the counter only around library calls: googletest's own assertions
// allocate.
#pragma once

#include <cstddef>

// Calls of any global operator new / new[] (every overload: plain, nothrow,
// aligned) since the program started.
long rql_test_allocations();

// The largest single request (bytes) to any global operator new since the
// last reset (or the program's start): lets a test assert that a parser
// refused a corrupt size claim without allocating it.
std::size_t rql_test_largest_allocation();
void rql_test_reset_largest_allocation();

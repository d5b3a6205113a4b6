// CRC-32C (Castagnoli): the check value of each NSS snapshot record.  The
// module checks the record it answers from on every lookup, so the check is
// the SSE 4.2 crc32 instruction (8 bytes per instruction) where the CPU has
// it, found once per process by cpuid, and the same function computed from a
// table elsewhere.  Allocation-free, lock-free, safe in a forked child.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace jit {

// The CRC-32C of len bytes continuing from crc (0 to start): crc32c(crc32c(0,
// a), b) is the CRC-32C of a followed by b.  crc32c(0, "123456789", 9) is
// 0xe3069283.
uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len);
// The table-driven computation alone (what crc32c() uses without SSE 4.2),
// for the tests that compare the two.
uint32_t crc32c_portable(uint32_t crc, const uint8_t* data, size_t len);
// Whether crc32c() uses the CPU's instruction.
bool crc32c_in_hardware();

}  // namespace jit

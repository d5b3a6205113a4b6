// CRC-32C, reflected polynomial 0x82f63b78, initial value and final xor
// 0xffffffff (RFC 3720's iSCSI CRC, as the SSE 4.2 instruction computes it).
#include "jit/crc32c.h"

#include <string.h>

#include <atomic>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace jit {

namespace {

constexpr uint32_t kPoly = 0x82f63b78;

struct Table {
    uint32_t v[256];
};

constexpr Table make_table() {
    Table t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
        t.v[i] = c;
    }
    return t;
}

constexpr Table kTable = make_table();

uint32_t portable_raw(uint32_t c, const uint8_t* p, size_t len) {
    for (size_t i = 0; i < len; ++i) c = kTable.v[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t hardware_raw(uint32_t c, const uint8_t* p, size_t len) {
    uint64_t c64 = c;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);  // unaligned; the instruction reads it as little-endian
        c64 = _mm_crc32_u64(c64, word);
    }
    c = uint32_t(c64);
    for (; len > 0; ++p, --len) c = _mm_crc32_u8(c, *p);
    return c;
}

// cpuid is a VM exit under a hypervisor (microseconds): asked once per
// process and kept.  0 not yet asked, 1 yes, 2 no; racing threads both ask
// and store the same answer.
std::atomic<int> g_sse42{0};

bool sse42() {
    int known = g_sse42.load(std::memory_order_relaxed);
    if (known == 0) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        known = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) ? 1 : 2;
        g_sse42.store(known, std::memory_order_relaxed);
    }
    return known == 1;
}
#endif

}  // namespace

uint32_t crc32c_portable(uint32_t crc, const uint8_t* data, size_t len) {
    return ~portable_raw(~crc, data, len);
}

bool crc32c_in_hardware() {
#if defined(__x86_64__)
    return sse42();
#else
    return false;
#endif
}

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len) {
#if defined(__x86_64__)
    if (sse42()) return ~hardware_raw(~crc, data, len);
#endif
    return crc32c_portable(crc, data, len);
}

}  // namespace jit

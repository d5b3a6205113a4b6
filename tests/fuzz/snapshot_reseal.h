// reseal(): recomputes every record check and the file checksum of a
// snapshot in place, so that an edit (a test's, or a fuzzer mutation) reaches
// the rule it breaks instead of failing on a check value.  Shared by the
// snapshot fuzzer's mutator and the unit tests.  Safe on any bytes: when the
// header does not describe the buffer's layout only the checksum is redone.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "jit/snapshot.h"

namespace jit::fuzz {

inline uint32_t snap_rd32(const uint8_t* b, size_t at) {
    return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 |
           uint32_t(b[at + 3]) << 24;
}
inline void snap_wr32(uint8_t* b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
inline void snap_wr64(uint8_t* b, size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

// A byte range of [at, at + len) clamped to the buffer.
inline snapshot::Bytes snap_clamped(const uint8_t* b, size_t size, size_t at, size_t len) {
    if (at > size) at = size;
    if (len > size - at) len = size - at;
    return {b + at, len};
}

inline snapshot::Bytes snap_string(const uint8_t* b, size_t size, const snapshot::Layout& l,
                                   size_t ref) {
    return snap_clamped(b, size, size_t(l.strings_off) + snap_rd32(b, ref),
                        size_t(snap_rd32(b, ref + 4)) + 1);
}

inline void reseal(uint8_t* b, size_t size) {
    using namespace snapshot;
    if (size < kHeaderSize) return;
    Layout l{};
    bool laid_out = canonical_layout(snap_rd32(b, 40), snap_rd32(b, 44), snap_rd32(b, 48),
                                     snap_rd32(b, 52), snap_rd32(b, 56), &l) &&
                    l.total_size == size;
    if (laid_out) {
        const uint32_t units = snap_rd32(b, 48);
        for (uint32_t i = 0; i < snap_rd32(b, 40); ++i) {
            const uint32_t position = snap_rd32(b, l.accounts_off + size_t(i) * 4);
            if (position >= units) continue;
            const size_t r = l.blocks_off + size_t(position) * kBlockUnit;
            auto u16 = [&](size_t at) { return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8; };
            const uint64_t used = block_bytes(snap_rd32(b, r + 12), u16(r + 24), u16(r + 26),
                                              u16(r + 28), u16(r + 30));
            const size_t area_end = l.blocks_off + size_t(units) * kBlockUnit;
            const size_t rest = used - kBlockHeaderSize < area_end - r - kBlockHeaderSize
                                    ? size_t(used - kBlockHeaderSize)
                                    : area_end - r - kBlockHeaderSize;
            const Bytes part = {b + r + kBlockHeaderSize, rest};
            snap_wr32(b, r + kAccountCheckAt,
                      record_check(b + r, kBlockHeaderSize, kAccountCheckAt, &part, 1));
        }
        for (uint32_t i = 0; i < snap_rd32(b, 44); ++i) {
            size_t r = l.groups_off + size_t(i) * kGroupSize;
            Bytes name = snap_string(b, size, l, r);
            snap_wr32(b, r + kGroupCheckAt,
                      record_check(b + r, kGroupSize, kGroupCheckAt, &name, 1));
        }
        for (uint32_t i = 0; i < snap_rd32(b, 52); ++i) {
            size_t r = l.members_off + size_t(i) * kMemberSize;
            Bytes name = snap_string(b, size, l, r);
            snap_wr32(b, r + kMemberCheckAt,
                      record_check(b + r, kMemberSize, kMemberCheckAt, &name, 1));
        }
    }
    snap_wr64(b, kChecksumOffset, file_checksum(b, size));
}

}  // namespace jit::fuzz

// An open-addressing hash index from a string key to a position in the
// caller's own array.  It stores the position alone (4 bytes a slot) and asks
// the caller for the key stored at a position: a hundred thousand grants
// cost a megabyte of index, not a node, a string copy and a bucket each.
#pragma once

#include <stdint.h>

#include <functional>
#include <string_view>
#include <vector>

namespace jit::daemon {

class SlotIndex {
public:
    static constexpr uint32_t kNone = UINT32_MAX;

    // The position stored under key, or kNone.  key_of(position) must give
    // the key each stored position was inserted under.
    template <typename KeyOf>
    uint32_t find(std::string_view key, const KeyOf& key_of) const {
        size_t slot = locate(key, key_of);
        return slot == kMissing ? kNone : slots_[slot] - 1;
    }

    // Stores position under key, which must not be present.
    template <typename KeyOf>
    void insert(std::string_view key, uint32_t position, const KeyOf& key_of) {
        if ((used_ + 1) * 2 > slots_.size()) grow(key_of);
        size_t slot = home(key);
        while (slots_[slot] != 0) slot = (slot + 1) & mask();
        slots_[slot] = position + 1;
        ++used_;
    }

    // Stores position under key in place of what key held.
    template <typename KeyOf>
    void replace(std::string_view key, uint32_t position, const KeyOf& key_of) {
        size_t slot = locate(key, key_of);
        if (slot != kMissing) slots_[slot] = position + 1;
    }

    // Removes key; later slots of its probe run move back so no lookup
    // stops early at the hole (no tombstones).
    template <typename KeyOf>
    void erase(std::string_view key, const KeyOf& key_of) {
        size_t hole = locate(key, key_of);
        if (hole == kMissing) return;
        for (size_t next = (hole + 1) & mask(); slots_[next] != 0; next = (next + 1) & mask()) {
            size_t want = home(key_of(slots_[next] - 1));
            // Stays when its home lies cyclically in (hole, next].
            bool stays =
                hole <= next ? (hole < want && want <= next) : (hole < want || want <= next);
            if (stays) continue;
            slots_[hole] = slots_[next];
            hole = next;
        }
        slots_[hole] = 0;
        --used_;
    }

    size_t size() const { return used_; }

private:
    static constexpr size_t kMissing = SIZE_MAX;

    size_t mask() const { return slots_.size() - 1; }
    size_t home(std::string_view key) const { return std::hash<std::string_view>{}(key)&mask(); }

    template <typename KeyOf>
    size_t locate(std::string_view key, const KeyOf& key_of) const {
        if (slots_.empty()) return kMissing;
        for (size_t slot = home(key); slots_[slot] != 0; slot = (slot + 1) & mask())
            if (key_of(slots_[slot] - 1) == key) return slot;
        return kMissing;
    }

    template <typename KeyOf>
    void grow(const KeyOf& key_of) {
        std::vector<uint32_t> old;
        old.swap(slots_);
        slots_.assign(old.empty() ? 16 : old.size() * 2, 0);
        for (uint32_t v : old) {
            if (v == 0) continue;
            size_t slot = home(key_of(v - 1));
            while (slots_[slot] != 0) slot = (slot + 1) & mask();
            slots_[slot] = v;
        }
    }

    std::vector<uint32_t> slots_;  // position + 1; 0: empty
    size_t used_ = 0;
};

}  // namespace jit::daemon

// The grants' ends in a binary min-heap that knows where each grant sits:
// the earliest end in O(1), an add or a removal in O(log n), 20 bytes a
// grant.  Positions follow the grant book's array, which fills a hole by
// moving its last grant into it; erase does the same.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "daemon/time/clock.h"

namespace jit::daemon {

class EndHeap {
public:
    void reserve(size_t n) {
        heap_.reserve(n);
        where_.reserve(n);
    }

    // The grant at the next position (size()) ends at end.
    void push(Time end) {
        const auto index = uint32_t(where_.size());
        heap_.push_back({end, index});
        where_.push_back(uint32_t(heap_.size() - 1));
        up(heap_.size() - 1);
    }

    // The grant at index leaves; the last position moves into its place.
    void erase(uint32_t index) {
        const size_t at = where_[index], back = heap_.size() - 1;
        if (at != back) {
            place(at, heap_[back]);
            heap_.pop_back();
            down(at);
            up(at);
        } else {
            heap_.pop_back();
        }
        const auto last = uint32_t(where_.size() - 1);
        if (index != last) {
            where_[index] = where_[last];
            heap_[where_[index]].second = index;
        }
        where_.pop_back();
    }

    std::optional<Time> earliest() const {
        if (heap_.empty()) return std::nullopt;
        return heap_.front().first;
    }

    // Calls f(index) in order of end, earliest first, until f returns false:
    // a best-first walk, since no child ends before its parent.
    template <typename F>
    void in_order(F&& f) const {
        auto later = [this](size_t a, size_t b) { return heap_[a].first > heap_[b].first; };
        std::vector<size_t> frontier;
        if (!heap_.empty()) frontier.push_back(0);
        while (!frontier.empty()) {
            std::pop_heap(frontier.begin(), frontier.end(), later);
            const size_t at = frontier.back();
            frontier.pop_back();
            if (!f(heap_[at].second)) return;
            for (size_t child : {2 * at + 1, 2 * at + 2}) {
                if (child >= heap_.size()) continue;
                frontier.push_back(child);
                std::push_heap(frontier.begin(), frontier.end(), later);
            }
        }
    }

    // The positions of grants ending at or before t.
    std::vector<uint32_t> ending_by(Time t) const {
        std::vector<uint32_t> out;
        in_order([&](uint32_t index) {
            if (end_of(index) > t) return false;
            out.push_back(index);
            return true;
        });
        return out;
    }

private:
    Time end_of(uint32_t index) const { return heap_[where_[index]].first; }

    void place(size_t at, std::pair<Time, uint32_t> entry) {
        heap_[at] = entry;
        where_[entry.second] = uint32_t(at);
    }
    void up(size_t at) {
        while (at > 0) {
            size_t parent = (at - 1) / 2;
            if (heap_[parent].first <= heap_[at].first) return;
            auto a = heap_[at], p = heap_[parent];
            place(at, p);
            place(parent, a);
            at = parent;
        }
    }
    void down(size_t at) {
        for (;;) {
            size_t least = at;
            for (size_t child : {2 * at + 1, 2 * at + 2})
                if (child < heap_.size() && heap_[child].first < heap_[least].first) least = child;
            if (least == at) return;
            auto a = heap_[at], l = heap_[least];
            place(at, l);
            place(least, a);
            at = least;
        }
    }

    // (end, grant position), ordered by end alone: positions change as grants
    // move, and must not reorder ties.
    std::vector<std::pair<Time, uint32_t>> heap_;
    std::vector<uint32_t> where_;  // grant position -> heap position
};

}  // namespace jit::daemon

// A sequence kept in fixed-size chunks: growing it never moves what it
// holds.  The grant book's grants live in one.  In a std::vector, 100,000
// grants (256 bytes each) were copied into a bigger array by the first
// grant after a start, 17-31 ms with every CHECK waiting, and again at each
// doubling; here a grant added costs at most one new chunk.
#pragma once

#include <stddef.h>

#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace jit::daemon {

template <typename T, size_t kChunk = 256>
class Chunked {
public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
    const T& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
    const T& front() const { return (*this)[0]; }
    T& back() { return (*this)[size_ - 1]; }
    const T& back() const { return (*this)[size_ - 1]; }

    void push_back(T value) {
        if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<T[]>(kChunk));
        (*this)[size_] = std::move(value);
        ++size_;
    }
    // The slot is reset to T{}, so what the element held is released now.
    void pop_back() {
        (*this)[--size_] = T{};
        if (chunks_.size() * kChunk - size_ > 2 * kChunk) chunks_.pop_back();  // keep one spare
    }
    // Room in the chunk table for n (the chunks come as they are filled).
    void reserve(size_t n) { chunks_.reserve((n + kChunk - 1) / kChunk); }

    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;
        const_iterator() = default;
        const_iterator(const Chunked* owner, size_t at) : owner_(owner), at_(at) {}
        reference operator*() const { return (*owner_)[at_]; }
        pointer operator->() const { return &(*owner_)[at_]; }
        const_iterator& operator++() {
            ++at_;
            return *this;
        }
        const_iterator operator++(int) {
            const_iterator before = *this;
            ++at_;
            return before;
        }
        bool operator==(const const_iterator& o) const { return at_ == o.at_; }
        bool operator!=(const const_iterator& o) const { return at_ != o.at_; }

    private:
        const Chunked* owner_ = nullptr;
        size_t at_ = 0;
    };
    const_iterator begin() const { return const_iterator(this, 0); }
    const_iterator end() const { return const_iterator(this, size_); }

private:
    std::vector<std::unique_ptr<T[]>> chunks_;
    size_t size_ = 0;
};

}  // namespace jit::daemon

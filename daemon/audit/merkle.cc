// RFC 6962 section 2.1 (as restated in RFC 9162 section 2.1): the tree hash,
// the compact range that appends in O(log n), proofs as lists of subtree
// ranges, and the RFC 9162 verification algorithms.
#include <bit>

#include "daemon/audit/audit.h"
#include "daemon/audit/crypto.h"

namespace jit::daemon::audit {

Hash hash_leaf(std::string_view leaf) {
    return sha256(std::string_view("\0", 1), leaf);
}

Hash hash_children(const Hash& left, const Hash& right) {
    return sha256(std::string_view("\1", 1), view(left), view(right));
}

Hash empty_root() {
    return sha256({});
}

void Frontier::append(const Hash& leaf) {
    nodes_.push_back(leaf);
    // Each trailing 1 bit of the old size is a subtree the new leaf completes.
    for (uint64_t s = size_; s & 1; s >>= 1) {
        Hash right = nodes_.back();
        nodes_.pop_back();
        nodes_.back() = hash_children(nodes_.back(), right);
    }
    ++size_;
}

Hash Frontier::root() const {
    if (nodes_.empty()) return empty_root();
    Hash r = nodes_.back();
    for (size_t i = nodes_.size() - 1; i-- > 0;) r = hash_children(nodes_[i], r);
    return r;
}

std::string Frontier::encode() const {
    std::string out;
    put_u64(out, size_);
    for (const auto& n : nodes_) out.append(view(n));
    return out;
}

Outcome<Frontier> Frontier::decode(std::string_view bytes) {
    if (bytes.size() < 8) return std::string("tree state: too short");
    uint64_t size = get_u64(reinterpret_cast<const unsigned char*>(bytes.data()));
    bytes.remove_prefix(8);
    if (bytes.size() % 32) return std::string("tree state: not whole hashes");
    std::vector<Hash> nodes(bytes.size() / 32);
    for (size_t i = 0; i < nodes.size(); ++i)
        std::copy(bytes.begin() + 32 * i, bytes.begin() + 32 * (i + 1), nodes[i].begin());
    return from_nodes(size, std::move(nodes));
}

Outcome<Frontier> Frontier::from_nodes(uint64_t size, std::vector<Hash> nodes) {
    if (nodes.size() != size_t(std::popcount(size)))
        return std::string("tree state: ") + std::to_string(nodes.size()) + " hashes for size " +
               std::to_string(size) + ", expected " + std::to_string(std::popcount(size));
    Frontier f;
    f.size_ = size;
    f.nodes_ = std::move(nodes);
    return f;
}

namespace {

// The largest power of two smaller than n (n > 1): RFC 6962's split point.
uint64_t split(uint64_t n) {
    return std::bit_floor(n - 1);
}

// PATH(m, D[begin:end]), leaf first.
void path(uint64_t m, uint64_t begin, uint64_t end, std::vector<Range>& out) {
    uint64_t n = end - begin;
    if (n <= 1) return;
    uint64_t k = split(n);
    if (m < k) {
        path(m, begin, begin + k, out);
        out.push_back({begin + k, end});
    } else {
        path(m - k, begin + k, end, out);
        out.push_back({begin, begin + k});
    }
}

// SUBPROOF(m, D[begin:end], whole).
void subproof(uint64_t m, uint64_t begin, uint64_t end, bool whole, std::vector<Range>& out) {
    uint64_t n = end - begin;
    if (m == n) {
        if (!whole) out.push_back({begin, end});
        return;
    }
    uint64_t k = split(n);
    if (m <= k) {
        subproof(m, begin, begin + k, whole, out);
        out.push_back({begin + k, end});
    } else {
        subproof(m - k, begin + k, end, false, out);
        out.push_back({begin, begin + k});
    }
}

}  // namespace

std::vector<Range> inclusion_ranges(uint64_t index, uint64_t size) {
    std::vector<Range> out;
    if (index < size) path(index, 0, size, out);
    return out;
}

std::vector<Range> consistency_ranges(uint64_t old_size, uint64_t new_size) {
    std::vector<Range> out;
    if (old_size > 0 && old_size < new_size) subproof(old_size, 0, new_size, true, out);
    return out;
}

bool ProofBuilder::done() const {
    for (const auto& r : ranges_)
        if (next_ < r.end) return false;
    return true;
}

std::vector<Hash> ProofBuilder::proof() const {
    return hashes_;
}

Hash range_root(const std::vector<Hash>& leaves, uint64_t begin, uint64_t end) {
    Frontier f;
    for (uint64_t i = begin; i < end && i < leaves.size(); ++i) f.append(leaves[i]);
    return f.root();
}

namespace {

// The tree state over [begin, stop) made of base's subtrees (which tile
// [0, base.size()), largest first); nullopt when begin or stop cuts one.
std::optional<Frontier> base_part(const Frontier& base, uint64_t begin, uint64_t stop) {
    const uint64_t a = base.size();
    uint64_t at = 0, covered = 0;
    std::vector<Hash> nodes;
    for (const Hash& node : base.nodes()) {
        uint64_t span = std::bit_floor(a - at);
        if (at >= begin && at < stop) {
            if (at + span > stop) return std::nullopt;  // the range ends inside it
            nodes.push_back(node);
            covered += span;
        } else if (at < begin && at + span > begin) {
            return std::nullopt;  // the range starts inside it
        }
        at += span;
    }
    if (covered != stop - begin) return std::nullopt;
    auto start = Frontier::from_nodes(covered, std::move(nodes));
    if (!start) return std::nullopt;
    return std::move(*start);
}

}  // namespace

ProofBuilder::ProofBuilder(std::vector<Range> ranges, const Frontier& base)
    : ranges_(std::move(ranges)),
      partial_(ranges_.size()),
      hashes_(ranges_.size()),
      next_(base.size()) {
    for (size_t i = 0; i < ranges_.size(); ++i) {
        const Range& r = ranges_[i];
        if (r.begin >= next_) continue;
        auto part = base_part(base, r.begin, std::min(r.end, next_));
        if (!part) {
            possible_ = false;
            continue;
        }
        partial_[i] = std::move(*part);
        if (r.end <= next_) hashes_[i] = partial_[i].root();
    }
}

void ProofBuilder::add(const Hash& leaf) {
    for (size_t i = 0; i < ranges_.size(); ++i) {
        const Range& r = ranges_[i];
        if (next_ < r.begin || next_ >= r.end) continue;
        partial_[i].append(leaf);
        if (next_ + 1 == r.end) hashes_[i] = partial_[i].root();
    }
    ++next_;
}

std::optional<Hash> range_root_after(const Frontier& base, const std::vector<Hash>& leaves,
                                     uint64_t begin, uint64_t end) {
    uint64_t a = base.size();
    if (begin > end || (end > a && end - a > leaves.size())) return std::nullopt;
    Frontier f;
    if (begin < a) {
        auto part = base_part(base, begin, std::min(end, a));
        if (!part) return std::nullopt;
        f = std::move(*part);
    }
    for (uint64_t i = std::max(begin, a); i < end; ++i) f.append(leaves[i - a]);
    return f.root();
}

// Leaf i (not the index) is in exactly one sibling subtree of the index's
// ancestors: the one at the level of the highest bit where i and the index
// differ.  Every range of an inclusion proof in a tree of size n is such a
// subtree, cut at n when it is the last one.
InclusionStream::InclusionStream(uint64_t index, const Frontier& base)
    : index_(index), size_(base.size()), siblings_(64) {
    for (unsigned h = 0; h < 64; ++h) {
        const uint64_t b = ((index >> h) ^ 1) << h;
        if (b >= size_) continue;
        const uint64_t stop = h >= 63 ? size_ : std::min(size_, b + (uint64_t(1) << h));
        auto part = base_part(base, b, stop);
        if (part)
            siblings_[h] = std::move(*part);
        else
            lost_ |= uint64_t(1) << h;
    }
}

void InclusionStream::add(const Hash& leaf) {
    const uint64_t i = size_++;
    if (i == index_) {
        leaf_ = leaf;
        return;
    }
    siblings_[std::bit_width(i ^ index_) - 1].append(leaf);
}

std::optional<std::vector<Hash>> InclusionStream::proof() const {
    if (index_ >= size_ || !leaf_) return std::nullopt;
    std::vector<Hash> out;
    for (const Range& r : inclusion_ranges(index_, size_)) {
        const unsigned h = std::bit_width(r.begin ^ index_) - 1;
        const Frontier& f = siblings_[h];
        if ((lost_ >> h) & 1 || f.size() != r.end - r.begin) return std::nullopt;
        out.push_back(f.root());
    }
    return out;
}

// RFC 9162 2.1.3.2.
bool verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf,
                      const std::vector<Hash>& proof, const Hash& root) {
    if (index >= size) return false;
    uint64_t fn = index, sn = size - 1;
    Hash r = leaf;
    for (const auto& p : proof) {
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            r = hash_children(p, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) fn >>= 1, sn >>= 1;
        } else {
            r = hash_children(r, p);
        }
        fn >>= 1, sn >>= 1;
    }
    return sn == 0 && r == root;
}

// RFC 9162 2.1.4.2, with its trivial cases: an empty old tree is consistent
// with any tree, and equal sizes need equal roots and no proof.
bool verify_consistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                        const Hash& new_root, const std::vector<Hash>& proof) {
    if (old_size > new_size) return false;
    if (old_size == new_size) return proof.empty() && old_root == new_root;
    if (old_size == 0) return proof.empty();
    if (proof.empty()) return false;
    std::vector<Hash> path;
    if (std::has_single_bit(old_size)) path.push_back(old_root);
    path.insert(path.end(), proof.begin(), proof.end());
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) fn >>= 1, sn >>= 1;
    Hash fr = path[0], sr = path[0];
    for (size_t i = 1; i < path.size(); ++i) {
        const Hash& c = path[i];
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            fr = hash_children(c, fr);
            sr = hash_children(c, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) fn >>= 1, sn >>= 1;
        } else {
            sr = hash_children(sr, c);
        }
        fn >>= 1, sn >>= 1;
    }
    return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace jit::daemon::audit

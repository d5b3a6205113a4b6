// The RFC 6962 tree against the certificate-transparency reference data (the
// eight leaves, the roots of every prefix, and the inclusion and consistency
// proofs that certificate-transparency and transparency-dev/merkle test
// with), then every proof of every tree up to 70 leaves built from ranges and
// checked by the RFC 9162 verifiers, with tampered proofs refused.
#include <gtest/gtest.h>

#include <bit>

#include "tests/unit/audit/audit_test_util.h"

namespace jit::daemon::audit {
namespace {

using test::H;

const char* const kLeaves[] = {"",
                               "00",
                               "10",
                               "2021",
                               "3031",
                               "40414243",
                               "5051525354555657",
                               "606162636465666768696a6b6c6d6e6f"};
const char* const kRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // empty
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Hash> reference_leaves() {
    std::vector<Hash> out;
    for (const char* l : kLeaves) out.push_back(hash_leaf(test::bytes_of(l)));
    return out;
}

std::vector<Hash> build(const std::vector<Hash>& leaves, const std::vector<Range>& ranges) {
    ProofBuilder b(ranges);
    for (const auto& l : leaves) b.add(l);
    EXPECT_TRUE(b.done());
    return b.proof();
}

TEST(AuditMerkle, RootsOfEveryPrefixMatchTheReference) {
    auto leaves = reference_leaves();
    Frontier f;
    EXPECT_EQ(f.root(), H(kRoots[0]));
    EXPECT_EQ(empty_root(), H(kRoots[0]));
    for (size_t n = 1; n <= leaves.size(); ++n) {
        f.append(leaves[n - 1]);
        EXPECT_EQ(f.size(), n);
        EXPECT_EQ(f.root(), H(kRoots[n])) << "size " << n;
        EXPECT_EQ(range_root(leaves, 0, n), H(kRoots[n])) << "size " << n;
    }
}

struct InclusionVector {
    uint64_t index, size;
    std::vector<const char*> proof;
};

// transparency-dev/merkle proof/verify_test.go, inclusionProofs (1-based
// leaves there, 0-based here).
const InclusionVector kInclusion[] = {
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {0, 1, {}},
};

TEST(AuditMerkle, InclusionProofsMatchTheReference) {
    auto leaves = reference_leaves();
    for (const auto& v : kInclusion) {
        std::vector<Hash> want;
        for (const char* p : v.proof) want.push_back(H(p));
        std::vector<Hash> prefix(leaves.begin(), leaves.begin() + long(v.size));
        EXPECT_EQ(build(prefix, inclusion_ranges(v.index, v.size)), want)
            << v.index << " in " << v.size;
        EXPECT_TRUE(verify_inclusion(v.index, v.size, leaves[v.index], want, H(kRoots[v.size])));
    }
}

// The streaming builder gives the same proofs from one pass: the reference
// vectors, at the size each names, with nothing but O(log n) hashes kept.
TEST(AuditMerkle, StreamedInclusionProofsMatchTheReference) {
    auto leaves = reference_leaves();
    for (const auto& v : kInclusion) {
        std::vector<Hash> want;
        for (const char* p : v.proof) want.push_back(H(p));
        InclusionStream stream(v.index);
        for (uint64_t i = 0; i < v.size; ++i) stream.add(leaves[i]);
        auto got = stream.proof();
        ASSERT_TRUE(got) << v.index << " in " << v.size;
        EXPECT_EQ(*got, want) << v.index << " in " << v.size;
        ASSERT_TRUE(stream.leaf());
        EXPECT_EQ(*stream.leaf(), leaves[v.index]);
    }
}

struct ConsistencyVector {
    uint64_t old_size, new_size;
    std::vector<const char*> proof;
};

// transparency-dev/merkle proof/verify_test.go, consistencyProofs.
const ConsistencyVector kConsistency[] = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

TEST(AuditMerkle, ConsistencyProofsMatchTheReference) {
    auto leaves = reference_leaves();
    for (const auto& v : kConsistency) {
        std::vector<Hash> want;
        for (const char* p : v.proof) want.push_back(H(p));
        std::vector<Hash> prefix(leaves.begin(), leaves.begin() + long(v.new_size));
        EXPECT_EQ(build(prefix, consistency_ranges(v.old_size, v.new_size)), want)
            << v.old_size << " -> " << v.new_size;
        EXPECT_TRUE(verify_consistency(v.old_size, v.new_size, H(kRoots[v.old_size]),
                                       H(kRoots[v.new_size]), want));
    }
}

TEST(AuditMerkle, TrivialConsistencyCases) {
    Hash a = H(kRoots[1]), b = H(kRoots[2]);
    EXPECT_TRUE(verify_consistency(0, 0, a, a, {}));
    EXPECT_FALSE(verify_consistency(0, 0, a, b, {}));
    EXPECT_TRUE(verify_consistency(0, 5, a, b, {}));  // the empty tree precedes any tree
    EXPECT_FALSE(verify_consistency(0, 5, a, b, {a}));
    EXPECT_FALSE(verify_consistency(1, 1, a, b, {}));
    EXPECT_FALSE(verify_consistency(1, 1, a, a, {a}));
    EXPECT_FALSE(verify_consistency(2, 1, a, b, {}));  // back in time
    EXPECT_FALSE(verify_consistency(1, 2, a, b, {}));  // a proof is needed
}

std::vector<Hash> many_leaves(size_t n) {
    std::vector<Hash> out;
    for (size_t i = 0; i < n; ++i) out.push_back(hash_leaf(std::string(1 + i % 7, char(i))));
    return out;
}

// Every index of every size: the proof built from ranges verifies, and every
// single-bit change, dropped or added hash, or shifted index is refused.
TEST(AuditMerkle, EveryInclusionProofUpTo70Leaves) {
    auto leaves = many_leaves(70);
    for (uint64_t n = 1; n <= leaves.size(); ++n) {
        std::vector<Hash> prefix(leaves.begin(), leaves.begin() + long(n));
        Hash root = range_root(leaves, 0, n);
        for (uint64_t i = 0; i < n; ++i) {
            auto proof = build(prefix, inclusion_ranges(i, n));
            ASSERT_TRUE(verify_inclusion(i, n, leaves[i], proof, root)) << i << " in " << n;
            // A tree of another height (the probes transparency-dev/merkle uses;
            // n + 1 can share n's shape, and the signed size is what binds it).
            EXPECT_FALSE(verify_inclusion(i, 2 * n, leaves[i], proof, root));
            if (i < n / 2) {
                EXPECT_FALSE(verify_inclusion(i, n / 2, leaves[i], proof, root));
            }
            if (n > 1) {
                EXPECT_FALSE(verify_inclusion((i + 1) % n, n, leaves[i], proof, root));
            }
            EXPECT_FALSE(verify_inclusion(i, n, leaves[(i + 1) % 70], proof, root));
            for (size_t k = 0; k < proof.size(); ++k) {
                auto bad = proof;
                bad[k][k % 32] ^= 0x10;
                EXPECT_FALSE(verify_inclusion(i, n, leaves[i], bad, root));
            }
            auto longer = proof;
            longer.push_back(root);
            EXPECT_FALSE(verify_inclusion(i, n, leaves[i], longer, root));
            if (!proof.empty()) {
                auto shorter = proof;
                shorter.pop_back();
                EXPECT_FALSE(verify_inclusion(i, n, leaves[i], shorter, root));
            }
        }
    }
}

TEST(AuditMerkle, EveryConsistencyProofUpTo70Leaves) {
    auto leaves = many_leaves(70);
    for (uint64_t n = 1; n <= leaves.size(); ++n) {
        std::vector<Hash> prefix(leaves.begin(), leaves.begin() + long(n));
        Hash new_root = range_root(leaves, 0, n);
        for (uint64_t m = 1; m <= n; ++m) {
            Hash old_root = range_root(leaves, 0, m);
            auto proof = build(prefix, consistency_ranges(m, n));
            ASSERT_TRUE(verify_consistency(m, n, old_root, new_root, proof)) << m << "->" << n;
            if (m == n) continue;
            EXPECT_FALSE(verify_consistency(m, n, new_root, old_root, proof));
            EXPECT_FALSE(verify_consistency(m, 2 * n, old_root, new_root, proof));
            if (m <= n / 2) {
                EXPECT_FALSE(verify_consistency(m, n / 2, old_root, new_root, proof));
            }
            if (m > 1) {
                EXPECT_FALSE(verify_consistency(m - 1, n, old_root, new_root, proof));
            }
            for (size_t k = 0; k < proof.size(); ++k) {
                auto bad = proof;
                bad[k][0] ^= 0x10;
                EXPECT_FALSE(verify_consistency(m, n, old_root, new_root, bad));
            }
            auto shorter = proof;
            shorter.pop_back();
            EXPECT_FALSE(verify_consistency(m, n, old_root, new_root, shorter));
        }
    }
}

// Every index in every tree up to 70 leaves, the proof taken at every size
// on the way (as at each checkpoint of an export): the same as built from
// all the leaves, and it verifies; from a tree state (older leaves gone),
// a proof exactly when range_root_after can make one, and then the same.
TEST(AuditMerkle, EveryStreamedInclusionProofUpTo70Leaves) {
    auto leaves = many_leaves(70);
    for (uint64_t index = 0; index < 70; ++index) {
        InclusionStream stream(index);
        for (uint64_t n = 1; n <= 70; ++n) {
            stream.add(leaves[n - 1]);
            auto got = stream.proof();
            if (n <= index) {
                EXPECT_FALSE(got);
                continue;
            }
            std::vector<Hash> prefix(leaves.begin(), leaves.begin() + long(n));
            ASSERT_TRUE(got) << index << " in " << n;
            EXPECT_EQ(*got, build(prefix, inclusion_ranges(index, n))) << index << " in " << n;
            EXPECT_TRUE(verify_inclusion(index, n, leaves[index], *got, range_root(prefix, 0, n)));
        }
    }
    for (uint64_t a = 1; a < 40; ++a) {
        Frontier base;
        for (uint64_t i = 0; i < a; ++i) base.append(leaves[i]);
        std::vector<Hash> after(leaves.begin() + long(a), leaves.end());
        for (uint64_t index = a; index < 70; ++index) {
            InclusionStream stream(index, base);
            for (uint64_t i = a; i < 70; ++i) stream.add(leaves[i]);
            std::optional<std::vector<Hash>> want = std::vector<Hash>();
            for (const auto& r : inclusion_ranges(index, 70)) {
                auto h = range_root_after(base, after, r.begin, r.end);
                if (!h) {
                    want.reset();
                    break;
                }
                want->push_back(*h);
            }
            EXPECT_EQ(stream.proof(), want) << index << " after a tree state at " << a;
        }
    }
}

// jitctl audit consistency streams too: the builder seeded with the tree
// state an input starts from gives every consistency proof up to 70 leaves
// exactly when range_root_after can, and the same hashes, which verify.
TEST(AuditMerkle, ConsistencyProofsStreamFromATreeState) {
    auto leaves = many_leaves(70);
    for (uint64_t a : {0u, 1u, 5u, 8u, 13u, 32u, 33u}) {
        Frontier base;
        for (uint64_t i = 0; i < a; ++i) base.append(leaves[i]);
        std::vector<Hash> after(leaves.begin() + long(a), leaves.end());
        for (uint64_t m = 1; m <= 70; ++m)
            for (uint64_t n = std::max(m, a); n <= 70; ++n) {
                const auto ranges = consistency_ranges(m, n);
                ProofBuilder b(ranges, base);
                for (uint64_t i = a; i < n; ++i) b.add(leaves[i]);
                std::optional<std::vector<Hash>> want = std::vector<Hash>();
                for (const auto& r : ranges) {
                    auto h = range_root_after(base, after, r.begin, r.end);
                    if (!h) {
                        want.reset();
                        break;
                    }
                    want->push_back(*h);
                }
                ASSERT_EQ(b.possible() && b.done(), want.has_value())
                    << m << " to " << n << " after " << a;
                if (!want) continue;
                EXPECT_EQ(b.proof(), *want) << m << " to " << n << " after " << a;
                std::vector<Hash> prefix(leaves.begin(), leaves.begin() + long(n));
                EXPECT_TRUE(verify_consistency(m, n, range_root(prefix, 0, m),
                                               range_root(prefix, 0, n), b.proof()));
            }
    }
}

TEST(AuditMerkle, FrontierStaysSmallAndRoundTrips) {
    auto leaves = many_leaves(70);
    Frontier f;
    for (size_t i = 0; i < leaves.size(); ++i) {
        f.append(leaves[i]);
        EXPECT_EQ(f.nodes().size(), size_t(__builtin_popcountll(f.size())));
        auto back = Frontier::decode(f.encode());
        ASSERT_TRUE(back) << back.error();
        EXPECT_EQ(*back, f);
        EXPECT_EQ(back->root(), range_root(leaves, 0, i + 1));
    }
    EXPECT_FALSE(Frontier::decode(f.encode().substr(0, 40)));
    EXPECT_FALSE(Frontier::decode(f.encode() + std::string(32, 'x')));
    EXPECT_FALSE(Frontier::decode("short"));
    EXPECT_FALSE(Frontier::from_nodes(3, {Hash{}}));
}

}  // namespace
}  // namespace jit::daemon::audit

namespace jit::daemon::audit {
namespace {

// With the leaves before `a` pruned, every inclusion proof of a later leaf
// (and every consistency proof from a size >= a) still comes out the same.
TEST(AuditMerkle, ProofsAfterPruningComeFromTheTreeStateAlone) {
    std::vector<Hash> leaves;
    for (int i = 0; i < 45; ++i) leaves.push_back(hash_leaf(std::string(1 + i % 5, char('a' + i))));
    for (uint64_t a = 0; a <= 40; ++a) {
        Frontier base;
        for (uint64_t i = 0; i < a; ++i) base.append(leaves[i]);
        std::vector<Hash> after(leaves.begin() + long(a), leaves.end());
        auto hashes = [&](const std::vector<Range>& ranges) {
            std::vector<Hash> out;
            for (const auto& r : ranges) {
                auto h = range_root_after(base, after, r.begin, r.end);
                EXPECT_TRUE(h) << "range " << r.begin << ".." << r.end << " after " << a;
                out.push_back(h ? *h : Hash{});
            }
            return out;
        };
        for (uint64_t n = a + 1; n <= leaves.size(); ++n) {
            for (uint64_t i = a; i < n; ++i)
                ASSERT_EQ(hashes(inclusion_ranges(i, n)),
                          build(std::vector<Hash>(leaves.begin(), leaves.begin() + long(n)),
                                inclusion_ranges(i, n)))
                    << i << " in " << n << " after " << a;
            for (uint64_t m = std::max<uint64_t>(a, 1); m <= n; ++m)
                ASSERT_EQ(hashes(consistency_ranges(m, n)),
                          build(std::vector<Hash>(leaves.begin(), leaves.begin() + long(n)),
                                consistency_ranges(m, n)))
                    << m << " -> " << n << " after " << a;
        }
        if (a >= 2) {  // a range that cuts into one of base's subtrees
            EXPECT_FALSE(range_root_after(base, after, 1, a + 1));
        }
        EXPECT_FALSE(range_root_after(base, after, a, leaves.size() + 1));  // past the leaves
    }
}

}  // namespace
}  // namespace jit::daemon::audit

// Appending: the forward-evolving key on an injected clock, batches that
// commit or roll back, the state jitd persists, the auditor's key file, and
// when checkpoints fall due.
#include <gtest/gtest.h>

#include "tests/unit/audit/audit_test_util.h"

namespace jit::daemon::audit {
namespace {

using test::secret_of;

TEST(AuditKey, EachEpochHasItsOwnKeyAndMac) {
    EvolvingKey k(0, secret_of(7));
    std::vector<Hash> keys{k.key().bytes()};
    std::vector<Hash> macs{k.mac("body")};
    for (int i = 1; i <= 50; ++i) {
        k.advance();
        EXPECT_EQ(k.epoch(), uint64_t(i));
        keys.push_back(k.key().bytes());
        macs.push_back(k.mac("body"));
    }
    for (size_t i = 0; i < keys.size(); ++i)
        for (size_t j = i + 1; j < keys.size(); ++j) {
            EXPECT_NE(keys[i], keys[j]);
            EXPECT_NE(macs[i], macs[j]);
        }
    // advance_to reaches the same key from k_0, and never goes back.
    EvolvingKey again(0, secret_of(7));
    again.advance_to(50);
    EXPECT_EQ(again.key().bytes(), keys[50]);
    again.advance_to(3);
    EXPECT_EQ(again.epoch(), 50u);
    // The step is HMAC-SHA256(k, "jit-audit/v1 next" || be64(epoch+1)).
    std::string label = "jit-audit/v1 next";
    put_u64(label, 1);
    EXPECT_EQ(hmac_sha256(keys[0], label), keys[1]);
}

TEST(AuditKey, SecretIsErasedWhenItDies) {
    alignas(Secret) unsigned char storage[sizeof(Secret)];
    Secret* s = new (storage) Secret(secret_of(0xab));
    s->~Secret();
    for (unsigned char c : storage) EXPECT_EQ(c, 0);
}

TEST(AuditLog, RecordsTakeTheClockSeqAndChain) {
    auto init = create_log("jitd/h");
    ASSERT_TRUE(init) << init.error();
    testing::FakeClock clock(1'900'000'000);
    Log log(init->state, clock);
    Batch b = log.begin();
    const Record r0 = log.add(b, "grant", {{"JIT_USER", "deploy"}});
    clock.advance(5);
    const Record r1 = log.add(b, "decision", {{"JIT_USER", "deploy"}});
    EXPECT_EQ(r0.seq, 0u);
    EXPECT_EQ(r1.seq, 1u);
    EXPECT_EQ(r0.time, 1'900'000'000);
    EXPECT_EQ(r1.time, 1'900'000'005);
    EXPECT_EQ(r0.prev, Hash{});
    EXPECT_EQ(r1.prev, leaf_hash(r0));
    // MACs under k_0 and k_1, which the auditor derives from k_0.
    EvolvingKey k(0, init->auditor.k0);
    EXPECT_EQ(k.mac(record_body(r0)), r0.mac);
    k.advance();
    EXPECT_EQ(k.mac(record_body(r1)), r1.mac);
    EXPECT_NE(EvolvingKey(0, init->auditor.k0).mac(record_body(r1)), r1.mac);
    // Nothing changes in the log until the batch commits.
    EXPECT_EQ(log.state().next_seq, 0u);
    EXPECT_EQ(log.state().key.bytes(), init->auditor.k0.bytes());
    ASSERT_TRUE(log.commit(std::move(b)));
    EXPECT_EQ(log.state().next_seq, 2u);
    k.advance();
    EXPECT_EQ(log.state().key.bytes(), k.key().bytes());  // jitd now holds k_2 alone
    EXPECT_EQ(log.state().last_leaf, leaf_hash(r1));
    EXPECT_EQ(log.checkpoint().root, hash_children(leaf_hash(r0), leaf_hash(r1)));
}

TEST(AuditLog, RolledBackBatchLeavesNoTrace) {
    auto init = create_log("jitd/h");
    ASSERT_TRUE(init);
    testing::FakeClock clock;
    Log log(init->state, clock);
    {
        Batch dropped = log.begin();
        log.add(dropped, "grant", {});
    }  // the transaction rolled back
    Batch b = log.begin();
    const Record r = log.add(b, "revoke", {});
    EXPECT_EQ(r.seq, 0u);
    Batch stale = log.begin();
    log.add(stale, "grant", {});
    ASSERT_TRUE(log.commit(std::move(b)));
    EXPECT_FALSE(log.commit(std::move(stale)));  // began before b committed
    EXPECT_EQ(log.state().next_seq, 1u);
}

TEST(AuditLog, StateRoundTripsAndRefusesDamage) {
    auto init = create_log("jitd/h");
    ASSERT_TRUE(init);
    testing::FakeClock clock;
    Log log(init->state, clock);
    Batch b = log.begin();
    for (int i = 0; i < 37; ++i) log.add(b, "decision", test::fields_for(uint64_t(i)));
    ASSERT_TRUE(log.commit(std::move(b)));
    std::string blob = encode_state(log.state());
    auto back = decode_state(blob);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->origin, "jitd/h");
    EXPECT_EQ(back->next_seq, 37u);
    EXPECT_EQ(back->key.bytes(), log.state().key.bytes());
    EXPECT_EQ(back->frontier, log.state().frontier);
    EXPECT_EQ(back->last_leaf, log.state().last_leaf);
    for (size_t cut = 0; cut < blob.size(); ++cut)
        EXPECT_FALSE(decode_state(blob.substr(0, cut))) << cut;
    EXPECT_FALSE(decode_state(blob + "x"));
}

TEST(AuditLog, AuditorKeyFileRoundTrips) {
    auto init = create_log("jitd/h.example");
    ASSERT_TRUE(init);
    std::string text = encode_auditor_key(init->auditor);
    auto back = parse_auditor_key(text);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->origin, "jitd/h.example");
    EXPECT_EQ(back->k0.bytes(), init->auditor.k0.bytes());
    EXPECT_EQ(back->verifier_key, init->signer.verifier_key());
    EXPECT_FALSE(parse_auditor_key(""));
    EXPECT_FALSE(parse_auditor_key(text.substr(0, text.size() / 2)));
    std::string wrong_origin = text;
    wrong_origin.replace(wrong_origin.find("origin jitd/h.example"), 21, "origin jitd/x.example");
    EXPECT_FALSE(parse_auditor_key(wrong_origin));
}

TEST(AuditLog, CheckpointsFallDueByCountOrTime) {
    CheckpointPolicy p{100, 60};
    EXPECT_FALSE(checkpoint_due(p, 10, 10, 1000, 0));  // nothing new
    EXPECT_FALSE(checkpoint_due(p, 99, 0, 59, 0));
    EXPECT_TRUE(checkpoint_due(p, 100, 0, 1, 0));
    EXPECT_TRUE(checkpoint_due(p, 1, 0, 60, 0));
    EXPECT_FALSE(checkpoint_due({0, 60}, 1000, 0, 59, 0));
    EXPECT_FALSE(checkpoint_due({100, 0}, 50, 0, 1'000'000, 0));
}

}  // namespace
}  // namespace jit::daemon::audit

// Audit checkpoints through the fleet: the publisher's consistency proofs
// (AuditFeed over export lines, as jitd serves them) and the witness that
// co-signs them, with logs made by the audit library on a fake clock.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "daemon/audit/audit.h"
#include "fleet/audit_feed.h"
#include "fleet/record.h"
#include "fleet/witness.h"
#include "tests/unit/fakes.h"

namespace jit::fleet {
namespace {

// n records of one log (state and signer from init), a signed checkpoint
// every `every` records; tag makes the records' text differ between logs.
std::vector<std::string> make_log(const audit::Init& init, uint64_t n, uint64_t every,
                                  const std::string& tag) {
    testing::FakeClock clock(1'800'000'000);
    audit::Log log(init.state, clock);
    std::vector<std::string> lines;
    for (uint64_t i = 0; i < n; ++i) {
        audit::Batch b = log.begin();
        lines.push_back(
            audit::export_record(log.add(b, "decision", {{"MESSAGE", tag + std::to_string(i)}})));
        if (!log.commit(std::move(b))) abort();
        if ((i + 1) % every == 0)
            lines.push_back(
                audit::export_checkpoint(audit::sign_checkpoint(log.checkpoint(), init.signer)));
    }
    return lines;
}

struct AuditedHost {
    audit::Init init = audit::create_log("jitd/db-1").value();
    FleetConfig config;
    AuditedHost() {
        Pkey k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
        config = parse_fleet_config(
                     "[fleet]\nhost = web-1\nkey = /k\nendpoints = http://a\n"
                     "[host db-1]\nkey = " +
                         public_key_base64(k.get()).value() +
                         "\naudit_key = " + init.signer.verifier_key() + "\n",
                     "f.conf")
                     .value();
    }
};

// Feeds lines[from, to) (re-reading the line before, as the daemon does) and
// collects the publications, each marked published.
std::vector<Publication> feed(AuditFeed& f, const std::vector<std::string>& lines) {
    std::vector<Publication> out;
    for (size_t i = 0; i < lines.size(); ++i) {
        auto got = f.line(lines[i]);
        EXPECT_TRUE(got) << got.error();
        if (got && *got) {
            out.push_back(**got);
            f.published(**got);
        }
        if (i > 0 && lines[i].rfind("{\"event\"", 0) == 0) {  // a page boundary re-reads
            auto again = f.line(lines[i]);
            EXPECT_TRUE(again && !*again);
        }
    }
    return out;
}

TEST(FleetAudit, EveryCheckpointIsPublishedWithAProofTheWitnessAccepts) {
    AuditedHost s;
    AuditFeed f;
    f.restart("db-1", 0);
    auto pubs = feed(f, make_log(s.init, 23, 5, "a"));
    ASSERT_EQ(pubs.size(), 4u);
    Witness w({});
    uint64_t last = 0;
    for (const auto& p : pubs) {
        EXPECT_EQ(p.from, last);
        Verdict v = w.check(s.config, p, true);
        EXPECT_EQ(v.kind, Verdict::Cosign) << v.reason;
        last = p.size;
    }
    EXPECT_EQ(w.state().at("db-1").size, 20u);
    // The same record again (a resync): nothing to do.
    EXPECT_EQ(w.check(s.config, pubs.back(), false).kind, Verdict::Ignore);
}

// After a restart jit-fleet reads on from its last publication (the cursor
// it saved), not from record 0: from the record before it, it publishes
// exactly what a feed that read everything would have, and the witness
// accepts it.  A cursor of another size or another tree is refused.
TEST(FleetAudit, AFeedResumedAtItsCursorPublishesWhatAWholeReReadWould) {
    AuditedHost s;
    const auto lines = make_log(s.init, 23, 5, "a");  // checkpoints at 5, 10, 15, 20
    size_t after10 = 0;                               // the line after checkpoint 10
    for (size_t i = 0, records = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("{\"event\"", 0) == 0) ++records;
        if (records == 10 && lines[i].rfind("{\"checkpoint\"", 0) == 0) after10 = i + 1;
    }
    ASSERT_GT(after10, 0u);
    AuditFeed whole;
    whole.restart("db-1", 0);
    auto first =
        feed(whole, std::vector<std::string>(lines.begin(), lines.begin() + long(after10)));
    ASSERT_EQ(first.size(), 2u);
    const std::string cursor = whole.cursor();
    ASSERT_FALSE(cursor.empty());
    auto rest = feed(whole, std::vector<std::string>(lines.begin() + long(after10), lines.end()));
    ASSERT_EQ(rest.size(), 2u);

    auto at = audit::Frontier::decode(cursor);
    ASSERT_TRUE(at);
    AuditFeed resumed;
    ASSERT_TRUE(resumed.resume("db-1", 10, *at, first.back().note));
    EXPECT_EQ(resumed.next_from(), std::optional<uint64_t>(9)) << "re-reads the record before";
    // From record 9 on, as jitd serves --from 9: the record, checkpoint 10, the rest.
    std::vector<std::string> tail;
    for (size_t i = 0, records = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("{\"event\"", 0) == 0) ++records;
        if (records >= 10) tail.push_back(lines[i]);
    }
    auto again = feed(resumed, tail);
    ASSERT_EQ(again.size(), rest.size());
    Witness w({});
    for (const auto& p : first) EXPECT_EQ(w.check(s.config, p, true).kind, Verdict::Cosign);
    for (size_t i = 0; i < again.size(); ++i) {
        EXPECT_EQ(again[i].size, rest[i].size);
        EXPECT_EQ(again[i].from, rest[i].from);
        EXPECT_EQ(again[i].proof, rest[i].proof);
        Verdict v = w.check(s.config, again[i], true);
        EXPECT_EQ(v.kind, Verdict::Cosign) << v.reason;
    }

    AuditFeed refused;
    EXPECT_FALSE(refused.resume("db-1", 15, *at, first.back().note)) << "another size";
    EXPECT_FALSE(refused.resume("db-1", 5, *at, first.front().note)) << "another checkpoint";
    AuditedHost other;
    const auto foreign = make_log(other.init, 10, 5, "b");
    AuditFeed o;
    o.restart("db-1", 0);
    auto theirs = feed(o, foreign);
    ASSERT_EQ(theirs.size(), 2u);
    EXPECT_FALSE(refused.resume("db-1", 10, *at, theirs.back().note)) << "another tree's root";
    EXPECT_FALSE(refused.resume("db-1", 0, audit::Frontier(), "")) << "nothing published";
}

TEST(FleetAudit, ARewrittenLogIsRefusedByTheWitness) {
    AuditedHost s;
    AuditFeed f;
    f.restart("db-1", 0);
    auto honest = feed(f, make_log(s.init, 10, 5, "a"));
    Witness w({});
    for (const auto& p : honest) ASSERT_EQ(w.check(s.config, p, true).kind, Verdict::Cosign);
    // The same log (same key) with its first records rewritten, grown to 15:
    // the host publishes a proof from size 10 computed over the new records.
    AuditFeed f2;
    f2.restart("db-1", 10);
    auto rewritten = feed(f2, make_log(s.init, 15, 5, "b"));
    ASSERT_EQ(rewritten.size(), 1u);
    EXPECT_EQ(rewritten[0].from, 10u);
    Verdict v = w.check(s.config, rewritten[0], true);
    EXPECT_EQ(v.kind, Verdict::Refuse);
    EXPECT_NE(v.reason.find("rewritten or forked"), std::string::npos) << v.reason;
    EXPECT_EQ(w.state().at("db-1").size, 10u);  // what it co-signed stays
    // An honest continuation from size 10 is still accepted.
    AuditFeed f3;
    f3.restart("db-1", 10);
    auto grown = feed(f3, make_log(s.init, 15, 5, "a"));
    ASSERT_EQ(grown.size(), 1u);
    EXPECT_EQ(w.check(s.config, grown[0], true).kind, Verdict::Cosign);
}

TEST(FleetAudit, RollbackForkAndForeignKeysAreRefused) {
    AuditedHost s;
    AuditFeed f;
    f.restart("db-1", 0);
    auto pubs = feed(f, make_log(s.init, 10, 5, "a"));
    Witness w({});
    for (const auto& p : pubs) ASSERT_EQ(w.check(s.config, p, true).kind, Verdict::Cosign);
    Verdict rollback = w.check(s.config, pubs[0], true);
    EXPECT_EQ(rollback.kind, Verdict::Refuse);
    EXPECT_NE(rollback.reason.find("rollback"), std::string::npos) << rollback.reason;
    EXPECT_EQ(w.check(s.config, pubs[0], false).kind, Verdict::Ignore);  // history on resync
    AuditFeed other;
    other.restart("db-1", 0);
    auto fork = feed(other, make_log(s.init, 10, 5, "b"));
    Verdict v = w.check(s.config, fork[1], true);
    EXPECT_EQ(v.kind, Verdict::Refuse);
    EXPECT_NE(v.reason.find("fork"), std::string::npos) << v.reason;
    // A note signed by another log's key.
    audit::Init stranger = audit::create_log("jitd/db-1").value();
    AuditFeed f4;
    f4.restart("db-1", 10);
    Publication p = feed(f4, make_log(stranger, 15, 5, "a")).at(0);
    p.from = 10;
    EXPECT_EQ(w.check(s.config, p, true).kind, Verdict::Refuse);
}

TEST(FleetAudit, TheFeedRefusesACheckpointThatDoesNotMatchTheRecords) {
    AuditedHost s;
    auto a = make_log(s.init, 5, 5, "a");
    auto b = make_log(s.init, 5, 5, "b");
    AuditFeed f;
    f.restart("db-1", 0);
    for (size_t i = 0; i < 5; ++i) ASSERT_TRUE(f.line(a[i]));
    EXPECT_FALSE(f.line(b[5]));  // b's checkpoint over a's records
}

}  // namespace
}  // namespace jit::fleet

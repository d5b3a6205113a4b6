// A request's changes commit with their audit records: a pending request,
// an approval that leaves it pending, a denial, a cancellation and an
// expiry each write their record in the transaction that writes the
// request, so a crash between that commit and the end of the event-loop
// turn leaves no request change without its record, and a record that
// cannot be written leaves the request unchanged.
#include "tests/unit/requests/desk_fixture.h"

#include "daemon/store/audit_store.h"
#include "daemon/trail/audit_trail.h"

namespace jit::daemon {
namespace {

class RequestAuditTest : public DeskTest {
protected:
    void SetUp() override {
        DeskTest::SetUp();
        auto init = audit::create_log("jitd/test");
        ASSERT_TRUE(init.ok()) << init.error();
        AuditStore rows(*store_);
        StoreTx tx(*store_);
        ASSERT_TRUE(tx.begin().ok());
        const auto& seed = init->signer.seed().bytes();
        ASSERT_TRUE(
            rows.create(tx, audit::encode_state(init->state), std::string(seed.begin(), seed.end()))
                .ok());
        ASSERT_TRUE(tx.commit().ok());
        trail_ = std::make_unique<AuditTrail>(*store_, trail_journal_, clock_);
        AuditConfig config;
        config.checkpoint_records = 0;
        config.checkpoint_seconds = 0;
        ASSERT_TRUE(trail_->load(config, config_.state_dir).ok());
    }
    void TearDown() override {
        trail_.reset();
        DeskTest::TearDown();
    }
    // The events of the records in jit.db, in order.
    std::string recorded() {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((config_.state_dir + "/jit.db").c_str(), &db), SQLITE_OK);
        std::string out;
        sqlite3_exec(
            db, "SELECT event FROM audit_records ORDER BY seq",
            [](void* o, int, char** v, char**) {
                auto* s = static_cast<std::string*>(o);
                *s += (s->empty() ? "" : " ") + std::string(v[0]);
                return 0;
            },
            &out, nullptr);
        sqlite3_close(db);
        return out;
    }
    size_t requests_in_db() {
        auto list = RequestStore(*store_).list("", false, 100);
        EXPECT_TRUE(list.ok());
        return list ? list->size() : 0;
    }

    RecordingJournal trail_journal_;
    std::unique_ptr<AuditTrail> trail_;
};

TEST_F(RequestAuditTest, EachRequestChangeCommitsWithItsRecordAndTheJournalNamesIt) {
    auto r = desk().create(eve(), release_request());
    ASSERT_TRUE(r.ok()) << r.error().message;
    // Nothing waits for the end of the turn: the record is already durable.
    EXPECT_FALSE(trail_->waiting());
    EXPECT_EQ(recorded(), "request");
    auto created = journal_.of(Event::RequestCreated);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].field("JIT_AUDIT_SEQ"), "0");

    auto first = desk().approve(alice(), action(r->id, "looks fine"));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(recorded(), "request approval");
    auto approval = journal_.of(Event::RequestApproval);
    ASSERT_EQ(approval.size(), 1u);
    EXPECT_EQ(approval[0].field("JIT_AUDIT_SEQ"), "1");
    EXPECT_EQ(approval[0].message.find("approval 1 of 2"), approval[0].message.find("approval"));

    auto denied = desk().deny(bob(), action(r->id, "not today"));
    ASSERT_TRUE(denied.ok()) << denied.error().message;
    EXPECT_EQ(recorded(), "request approval request-denied");
    EXPECT_EQ(journal_.of(Event::RequestDenied).back().field("JIT_AUDIT_SEQ"), "2");

    auto again = desk().create(eve(), release_request());
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(desk().cancel(eve(), action(again->id), false).ok());
    auto third = desk().create(eve(), release_request());
    ASSERT_TRUE(third.ok());
    clock_.advance(1801);
    desk().expire_due();
    EXPECT_EQ(recorded(),
              "request approval request-denied request request-cancelled request "
              "request-expired");
    EXPECT_EQ(journal_.of(Event::RequestExpired).back().field("JIT_AUDIT_SEQ"), "6");
}

TEST_F(RequestAuditTest, ARecordThatCannotBeWrittenLeavesTheRequestUnwritten) {
    exec(
        "CREATE TRIGGER no_more BEFORE INSERT ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'audit disk full'); END;");
    auto r = desk().create(eve(), release_request());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EIO);
    EXPECT_EQ(requests_in_db(), 0u) << "the request committed without its record";
    EXPECT_TRUE(journal_.of(Event::RequestCreated).empty());

    exec("DROP TRIGGER no_more");
    auto ok = desk().create(eve(), release_request());
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    exec(
        "CREATE TRIGGER no_more BEFORE INSERT ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'audit disk full'); END;");
    auto vote = desk().approve(alice(), action(ok->id));
    ASSERT_FALSE(vote.ok());
    auto stored = RequestStore(*store_).find(ok->id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_TRUE((*stored)->approvals.empty()) << "the approval committed without its record";
    EXPECT_TRUE(journal_.of(Event::RequestApproval).empty());
}

}  // namespace
}  // namespace jit::daemon

// The grant ledger alone: a real SQLite store, an injected clock, a
// recording journal, and listeners that remember what they were told.  A
// grant made inside a caller's transaction exists (in the book, in its
// events) only once that transaction commits; every write is whole (groups
// and limits too); a failed write changes nothing and is journaled.
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/base/ids.h"
#include "daemon/ledger/grant_journal.h"
#include "daemon/ledger/grant_ledger.h"
#include "tests/unit/fakes.h"

namespace jit::daemon {
namespace {

using jit::testing::FakeClock;
using jit::testing::RecordingJournal;

constexpr Time kT0 = 1'800'000'000;

class RecordingListener : public GrantListener {
public:
    explicit RecordingListener(std::vector<std::string>& log, std::string name)
        : log_(log), name_(std::move(name)) {}
    void grant_changed(const GrantChange& c) override {
        log_.push_back(name_ + (c.kind == GrantChange::Kind::Created ? " created " : " ended ") +
                       c.grant.id + " " + c.origin.rule);
    }
    void grants_settled() override { log_.push_back(name_ + " settled"); }

private:
    std::vector<std::string>& log_;
    std::string name_;
};

class GrantLedgerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-ledger-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        open();
    }
    void TearDown() override {
        ledger_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() {
        ledger_.reset();
        store_.reset();
        auto s = Store::open(dir_ + "/state");
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
        ledger_ = std::make_unique<GrantLedger>(*store_, journal_, clock_);
        ASSERT_TRUE(ledger_->load().ok());
        ledger_->subscribe(&first_);
        ledger_->subscribe(&second_);
    }
    static Grant grant(const std::string& user, Time seconds = 900) {
        Grant g;
        g.user = user;
        g.services = {"sshd", "sudo"};
        g.reason = "test";
        g.not_before = kT0;
        g.not_after = kT0 + seconds;
        g.created = kT0;
        return g;
    }
    std::string sql(const std::string& query) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((dir_ + "/state/jit.db").c_str(), &db), SQLITE_OK);
        std::string out;
        sqlite3_exec(
            db, query.c_str(),
            [](void* o, int, char** v, char**) {
                *static_cast<std::string*>(o) += v[0] ? v[0] : "NULL";
                return 0;
            },
            &out, nullptr);
        sqlite3_close(db);
        return out;
    }

    std::string dir_;
    FakeClock clock_{kT0};
    RecordingJournal journal_;
    std::vector<std::string> log_;
    RecordingListener first_{log_, "first"}, second_{log_, "second"};
    std::unique_ptr<Store> store_;
    std::unique_ptr<GrantLedger> ledger_;
};

TEST_F(GrantLedgerTest, AGrantWrittenWholeIsToldOnceItIsDurable) {
    Grant g = grant("deploy");
    g.groups = {"jit-deploy", "jit-ops"};
    g.until_session_end = true;
    g.uses = 2;
    g.uses_left = 2;
    auto made = ledger_->create(g, GrantOrigin{});
    ASSERT_TRUE(made.ok()) << made.error().message;
    EXPECT_TRUE(valid_grant_id(made->id));
    EXPECT_EQ(log_, (std::vector<std::string>{"first created " + made->id + " manual-grant",
                                              "second created " + made->id + " manual-grant",
                                              "first settled", "second settled"}))
        << "listeners in subscription order, then settled once";
    EXPECT_EQ(sql("SELECT group_concat(grp) FROM grant_groups WHERE grant_id = '" + made->id + "'"),
              "jit-deploy,jit-ops");
    EXPECT_EQ(sql("SELECT until_session_end || '/' || uses || '/' || uses_left FROM grant_limits"),
              "1/2/2");
    EXPECT_EQ(sql("SELECT group_concat(service) FROM grant_services"), "sshd,sudo");
    open();  // what the store holds is what the book held
    const Grant* again = ledger_->book().find(made->id);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->groups, g.groups);
    EXPECT_TRUE(again->until_session_end);
    EXPECT_EQ(again->uses_left, std::optional<uint32_t>(2));
}

// A request's approval and its grant commit together: inside the caller's
// transaction the grant is not in force and nobody is told until commit.
TEST_F(GrantLedgerTest, InsideTheCallersTransactionNothingHappensBeforeCommit) {
    GrantOrigin origin;
    origin.rule = "auto-deploy";
    origin.request_id = "r-aaaaaaaa";
    {
        StoreTx tx(*store_);
        ASSERT_TRUE(tx.begin().ok());
        auto made = ledger_->create(tx, grant("deploy"), origin);
        ASSERT_TRUE(made.ok()) << made.error().message;
        EXPECT_EQ(ledger_->book().find(made->id), nullptr) << "not before commit";
        EXPECT_TRUE(log_.empty());
        ASSERT_TRUE(tx.commit().ok());
        ASSERT_NE(ledger_->book().find(made->id), nullptr);
        EXPECT_EQ(log_.front(), "first created " + made->id + " auto-deploy");
        EXPECT_EQ(ledger_->origin(made->id).request_id, "r-aaaaaaaa");
    }
    log_.clear();
    {
        StoreTx tx(*store_);
        ASSERT_TRUE(tx.begin().ok());
        auto made = ledger_->create(tx, grant("deploy"), origin);
        ASSERT_TRUE(made.ok());
        // The caller's own write fails: the transaction is never committed.
    }
    EXPECT_EQ(ledger_->book().size(), 1u);
    EXPECT_TRUE(log_.empty());
    EXPECT_EQ(sql("SELECT count(*) FROM grants"), "1") << "rolled back with the caller";
}

TEST_F(GrantLedgerTest, AWriteOutsideATransactionIsRefused) {
    StoreTx tx(*store_);  // never begun
    auto made = ledger_->create(tx, grant("deploy"), GrantOrigin{});
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(sql("SELECT count(*) FROM grants"), "0");
    EXPECT_TRUE(log_.empty());
}

TEST_F(GrantLedgerTest, AFailedWriteChangesNothingAndIsJournaled) {
    sql("CREATE TRIGGER refuse BEFORE INSERT ON grant_groups BEGIN SELECT RAISE(ABORT, 'no'); END");
    Grant g = grant("deploy");
    g.groups = {"jit-deploy"};
    auto made = ledger_->create(g, GrantOrigin{});
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().code, EIO);
    EXPECT_EQ(ledger_->book().size(), 0u);
    EXPECT_TRUE(log_.empty());
    EXPECT_EQ(sql("SELECT count(*) FROM grants"), "0") << "no grant without its groups";
    EXPECT_EQ(journal_.of(Event::StoreFailed).size(), 1u);
}

TEST_F(GrantLedgerTest, EndingIsDurableToldOnceAndNotTwice) {
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(made.ok());
    log_.clear();
    auto ended = ledger_->end(made->id, GrantState::Revoked, 1000, "done");
    ASSERT_TRUE(ended.ok()) << ended.error().message;
    EXPECT_EQ(ended->state, GrantState::Revoked);
    EXPECT_EQ(ended->ended->by, std::optional<uid_t>(1000));
    EXPECT_EQ(log_.front(), "first ended " + made->id + " manual-grant");
    EXPECT_EQ(sql("SELECT state || '/' || ended_by || '/' || end_reason FROM grants"),
              "3/1000/done");
    auto again = ledger_->end(made->id, GrantState::Revoked, 1000, "again");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, EALREADY);
}

TEST_F(GrantLedgerTest, AnEndThatCannotBeRecordedKeepsTheGrant) {
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(made.ok());
    log_.clear();
    sql("CREATE TRIGGER refuse BEFORE UPDATE ON grants BEGIN SELECT RAISE(ABORT, 'no'); END");
    auto ended = ledger_->end(made->id, GrantState::Revoked, 0, "");
    ASSERT_FALSE(ended.ok());
    EXPECT_EQ(ended.error().code, EIO);
    EXPECT_NE(ledger_->book().find(made->id), nullptr) << "memory never runs ahead of disk";
    EXPECT_TRUE(log_.empty());
    EXPECT_EQ(journal_.of(Event::StoreFailed).size(), 1u);
}

TEST_F(GrantLedgerTest, ExpiryEndsEveryDueGrantAndSettlesOnce) {
    auto a = ledger_->create(grant("a", 60), GrantOrigin{});
    auto b = ledger_->create(grant("b", 60), GrantOrigin{});
    auto c = ledger_->create(grant("c", 600), GrantOrigin{});
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    log_.clear();
    clock_.set(kT0 + 60);
    EXPECT_TRUE(ledger_->expire_due());
    EXPECT_EQ(log_.size(), 6u) << "two grants told to two listeners, then settled once each";
    EXPECT_EQ(log_[4], "first settled");
    EXPECT_EQ(ledger_->book().size(), 1u);
    EXPECT_EQ(sql("SELECT group_concat(state) FROM grants ORDER BY user"), "2,2,1");
}

TEST_F(GrantLedgerTest, UsesAreTakenDurablyAndTheLastOneLeavesTheGrantInForce) {
    Grant g = grant("deploy");
    g.uses = 1;
    g.uses_left = 1;
    auto made = ledger_->create(g, GrantOrigin{});
    ASSERT_TRUE(made.ok());
    log_.clear();
    auto left = ledger_->take_use(made->id);
    ASSERT_TRUE(left.ok()) << left.error().message;
    EXPECT_EQ(*left, 0u);
    EXPECT_EQ(ledger_->book().find(made->id)->uses_left, std::optional<uint32_t>(0));
    EXPECT_EQ(sql("SELECT uses_left FROM grant_limits"), "0");
    auto none = ledger_->take_use(made->id);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, EDQUOT);
    EXPECT_NE(ledger_->book().find(made->id), nullptr);
    EXPECT_TRUE(log_.empty()) << "no grant was created or ended";
}

TEST_F(GrantLedgerTest, TheJournalNamesTheOriginOfWhatEnds) {
    GrantJournal journal(journal_);
    ledger_->subscribe(&journal);
    GrantOrigin origin;
    origin.rule = "auto-deploy";
    origin.request_id = "r-aaaaaaaa";
    origin.requester = 1500;
    origin.ticket = "INC-1";
    origin.request_reason = "hotfix";
    StoreTx tx(*store_);
    ASSERT_TRUE(tx.begin().ok());
    auto made = ledger_->create(tx, grant("deploy"), origin);
    ASSERT_TRUE(made.ok() && tx.commit().ok());
    auto created = journal_.of(Event::GrantCreated);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].field("JIT_REQUEST_ID"), "r-aaaaaaaa");
    EXPECT_EQ(created[0].field("JIT_TICKET"), "INC-1");
    EXPECT_EQ(created[0].field("JIT_REASON"), "hotfix");
    ASSERT_TRUE(ledger_->end(made->id, GrantState::Expired, std::nullopt, "").ok());
    auto expired = journal_.of(Event::GrantExpired);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].field("JIT_RULE"), "auto-deploy");
    EXPECT_EQ(expired[0].field("JIT_REQUEST_ID"), "r-aaaaaaaa");
    EXPECT_EQ(expired[0].field("JIT_REASON"), "test") << "the grant's own reason";
    ledger_->unsubscribe(&journal);
}

}  // namespace
}  // namespace jit::daemon

// Group commit (Store::begin_group / commit_group): the StoreTxs begun inside
// a group are savepoints of one transaction, durable together at one COMMIT
// or not at all; a member that fails rolls back alone; the members' actions
// and audit sequence numbers wait for the group's commit.
#include "daemon/store/store.h"
#include "tests/unit/store/temp_dir.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace jit::daemon {
namespace {

using test_support::TempDir;

Grant grant(const std::string& id) {
    Grant g;
    g.id = id;
    g.user = "deploy";
    g.services = {"sshd"};
    g.not_before = 1000;
    g.not_after = 4600;
    g.reason = "group";
    g.granted_by = 0;
    g.created = 1000;
    return g;
}

// Numbers each staged entry 100, 101, ...; fails every stage when told to.
class FakeAuditor : public TxAuditor {
public:
    Result<void, Failure> stage(StoreTx&, const std::vector<JournalEntry>& entries,
                                std::vector<std::optional<uint64_t>>& seqs) override {
        ++stages;
        if (fail) return Failure(EIO, "the audit log is broken");
        for (size_t i = 0; i < entries.size(); ++i) seqs[i] = next++;
        staged += entries.size();
        return {};
    }
    void settle(const Result<void, Failure>& outcome) override { settled.push_back(outcome.ok()); }
    bool fail = false;
    int stages = 0;
    size_t staged = 0;
    uint64_t next = 100;
    std::vector<bool> settled;
};

JournalEntry entry(const std::string& message) {
    return JournalEntry{Event::GrantCreated, LOG_NOTICE, message, {}};
}

class GroupCommitTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = Store::open(tmp_.path() + "/state");
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
    }
    // A member: inserts g, registers its actions, commits into the group.
    Result<void, Failure> member(const std::string& id) {
        StoreTx tx(*store_);
        if (auto ok = tx.begin(); !ok) return ok;
        if (auto ok = store_->insert_grant(tx, grant(id)); !ok) return ok;
        tx.after_commit([this, id] { done_.push_back(id); });
        tx.if_lost([this, id](const Failure& why) {
            lost_.push_back(id + ":" + std::to_string(why.code));
        });
        return tx.commit();
    }
    // What another connection sees: committed rows only.
    int committed_grants() {
        sqlite3* db = nullptr;
        std::string path = tmp_.path() + "/state/jit.db";
        int n = -1;
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
            sqlite3_stmt* st = nullptr;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM grants", -1, &st, nullptr) ==
                    SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close_v2(db);
        return n;
    }

    TempDir tmp_{"group_test"};
    std::unique_ptr<Store> store_;
    std::vector<std::string> done_, lost_;
};

TEST_F(GroupCommitTest, MembersCommitTogetherAndAFailedOneRollsBackAlone) {
    ASSERT_TRUE(store_->begin_group());
    ASSERT_TRUE(member("g-aaaaaaa1"));
    auto dup = member("g-aaaaaaa1");  // the id is taken inside the group
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, EEXIST);
    ASSERT_TRUE(member("g-aaaaaaa3"));
    EXPECT_EQ(store_->group_members(), 2u);
    EXPECT_TRUE(done_.empty()) << "actions ran before the group committed";
    EXPECT_EQ(committed_grants(), 0) << "a member was visible before the group committed";
    ASSERT_TRUE(store_->commit_group());
    EXPECT_EQ(done_, (std::vector<std::string>{"g-aaaaaaa1", "g-aaaaaaa3"}));
    EXPECT_EQ(committed_grants(), 2);
    EXPECT_TRUE(lost_.empty());
    EXPECT_FALSE(store_->in_group());
    // Outside a group a transaction commits on its own again.
    ASSERT_TRUE(member("g-aaaaaaa4"));
    EXPECT_EQ(committed_grants(), 3);
}

TEST_F(GroupCommitTest, AFailedGroupCommitFailsEveryMemberAndKeepsNothing) {
    FakeAuditor auditor;
    store_->set_auditor(&auditor);
    ASSERT_TRUE(store_->begin_group());
    ASSERT_TRUE(member("g-bbbbbbb1"));
    ASSERT_TRUE(member("g-bbbbbbb2"));
    auditor.fail = true;
    auto committed = store_->commit_group();
    store_->set_auditor(nullptr);
    ASSERT_FALSE(committed);
    EXPECT_EQ(committed.error().code, EIO);
    EXPECT_EQ(
        committed.error().message,
        "cannot append to the audit log: the audit log is broken: " + std::string(strerror(EIO)));
    EXPECT_TRUE(done_.empty()) << "a member's actions ran though its group did not commit";
    EXPECT_EQ(lost_, (std::vector<std::string>{"g-bbbbbbb1:" + std::to_string(EIO),
                                               "g-bbbbbbb2:" + std::to_string(EIO)}));
    EXPECT_EQ(committed_grants(), 0);
    EXPECT_EQ(auditor.settled, std::vector<bool>{false});
    // The store writes again afterwards.
    ASSERT_TRUE(member("g-bbbbbbb3"));
    EXPECT_EQ(committed_grants(), 1);
}

TEST_F(GroupCommitTest, LostActionsRunOnlyForGroupMembers) {
    FakeAuditor auditor;
    auditor.fail = true;
    store_->set_auditor(&auditor);
    auto alone = member("g-ccccccc1");
    store_->set_auditor(nullptr);
    ASSERT_FALSE(alone);
    EXPECT_TRUE(lost_.empty()) << "a transaction outside a group reports through commit()";
    EXPECT_EQ(committed_grants(), 0);
}

TEST_F(GroupCommitTest, EachMembersAuditSequenceIsReadableAfterTheGroupCommits) {
    FakeAuditor auditor;
    store_->set_auditor(&auditor);
    std::vector<std::function<std::optional<uint64_t>()>> seqs;
    ASSERT_TRUE(store_->begin_group());
    for (int m = 0; m < 2; ++m) {
        StoreTx tx(*store_);
        ASSERT_TRUE(tx.begin());
        for (int e = 0; e < 2; ++e)
            seqs.push_back(tx.audit_seq_later(tx.audit(entry("m" + std::to_string(m)))));
        ASSERT_TRUE(tx.commit());
    }
    EXPECT_EQ(auditor.stages, 0) << "a member staged its records on its own";
    ASSERT_TRUE(store_->commit_group());
    store_->set_auditor(nullptr);
    EXPECT_EQ(auditor.stages, 1);
    EXPECT_EQ(auditor.staged, 4u);
    ASSERT_EQ(seqs.size(), 4u);
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i](), std::optional<uint64_t>(100 + i));
}

// Durable means on disk before commit_group returns; before it, nothing is.
TEST_F(GroupCommitTest, AKillBeforeTheGroupCommitsLosesEveryMemberAndAfterKeepsThemAll) {
    const std::string dir = tmp_.path() + "/state";
    store_.reset();
    const std::vector<std::vector<std::string>> groups = {{"g-eeeeeee1", "g-eeeeeee2"},
                                                          {"g-ddddddd1", "g-ddddddd2"}};
    for (size_t round = 0; round < groups.size(); ++round) {
        const bool commit = round == 1;
        const pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            auto store = Store::open(dir);
            if (!store || !(*store)->begin_group()) _exit(2);
            for (const auto& id : groups[round]) {
                StoreTx tx(**store);
                if (!tx.begin() || !(*store)->insert_grant(tx, grant(id)) || !tx.commit()) _exit(3);
            }
            if (commit && !(*store)->commit_group()) _exit(4);
            raise(SIGKILL);
            _exit(5);
        }
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
    }
    auto store = Store::open(dir);
    ASSERT_TRUE(store);
    for (const auto& id : groups[0]) EXPECT_FALSE(*(*store)->grant_id_exists(id)) << id;
    for (const auto& id : groups[1]) EXPECT_TRUE(*(*store)->grant_id_exists(id)) << id;
}

}  // namespace
}  // namespace jit::daemon

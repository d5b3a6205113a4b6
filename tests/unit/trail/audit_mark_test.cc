// What guards the audit log's own commits against a rolled-back jit.db.
// A turn's flush writes audit records alone and leaves jit.hwm as it is (one
// sync fewer before the turn's answers): audit-epoch.key, synced after the
// commit, is their mark.  These tests take that away piece by piece: a WAL
// that lost a flush's commit is still refused at start (by the key file, as
// jit.hwm no longer knows of it); a key file that cannot be written hands
// the guard back to jit.hwm for that commit; and a commit that changes state
// is always marked in jit.hwm, whatever it asked for.
#include <unistd.h>

#include "daemon/store/high_water.h"
#include "tests/unit/trail/mark_probes.h"

namespace jit::daemon {
namespace {

TEST_F(AuditMarkTest, AFlushLeavesTheHighWaterMarkAndSyncsTheKeyFile) {
    ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    const uint64_t marked = hwm();
    ASSERT_EQ(marked, db_generation()) << "a grant's commit is marked in jit.hwm";
    decisions(3);
    ASSERT_TRUE(trail_->flush());
    EXPECT_GT(db_generation(), marked) << "the flush changed jit.db";
    EXPECT_EQ(hwm(), marked) << "and left jit.hwm as it was";
    EXPECT_EQ(key_epoch(), trail_->head()->size) << "the key file holds the log's end";
    ASSERT_TRUE(ledger_->create(grant("backup"), GrantOrigin{}).ok());
    EXPECT_EQ(hwm(), db_generation()) << "the next state change marks everything before it";
    EXPECT_TRUE(export_and_verify().intact());
}

TEST_F(AuditMarkTest, AWalThatLostAFlushIsRefusedByTheKeyFile) {
    ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    decisions(2);
    ASSERT_TRUE(trail_->flush());
    // jit.db and its WAL as they were after that flush.
    const std::string db = contents(state() + "/jit.db");
    const std::string wal = contents(state() + "/jit.db-wal");
    ASSERT_FALSE(wal.empty()) << "the WAL is live";
    const uint64_t size_then = trail_->head()->size;
    decisions(3);
    ASSERT_TRUE(trail_->flush());  // the answers waiting for these three would go now
    const uint64_t size_now = trail_->head()->size;
    ASSERT_EQ(size_now, size_then + 3);
    close_all();
    // The WAL loses the last commit (a damaged or truncated jit.db-wal).
    put(state() + "/jit.db", db);
    put(state() + "/jit.db-wal", wal);
    ::unlink((state() + "/jit.db-shm").c_str());

    auto reopened = Store::open(state());
    ASSERT_TRUE(reopened.ok()) << "jit.hwm never heard of the audit-only commit: "
                               << reopened.error().message;
    store_ = std::move(*reopened);
    AuditTrail again(*store_, plain_, clock_);
    AuditConfig config;
    auto loaded = again.load(config, state());
    ASSERT_FALSE(loaded.ok()) << "the key file refuses a log that lost answered records";
    EXPECT_EQ(loaded.error().code, ESTALE);
    EXPECT_NE(loaded.error().message.find("holds the key of record " + std::to_string(size_now)),
              std::string::npos)
        << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("ends at " + std::to_string(size_then)),
              std::string::npos)
        << loaded.error().message;
}

TEST_F(AuditMarkTest, AKeyFileThatCannotBeWrittenHandsTheGuardToTheHighWaterMark) {
    ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    const std::string db = contents(state() + "/jit.db");
    const std::string wal = contents(state() + "/jit.db-wal");
    const uint64_t epoch = key_epoch();
    break_key_file(std::filesystem::canonical(state()).string() + "/" + EpochKeyFile::kName);
    decisions(3);
    ASSERT_TRUE(trail_->flush()) << "the records are durable and guarded: the answers may go";
    EXPECT_EQ(key_epoch(), epoch) << "the key file was not written";
    EXPECT_EQ(hwm(), db_generation()) << "so jit.hwm marks the flush's commit";
    bool said = false;
    for (const auto& e : plain_.entries)
        said |= e.event == Event::AuditFailed &&
                e.message.find("old key could not be erased") != std::string::npos;
    EXPECT_TRUE(said) << "loudly";

    // A WAL that lost that commit is refused, by jit.hwm this time.
    close_all();
    put(state() + "/jit.db", db);
    put(state() + "/jit.db-wal", wal);
    ::unlink((state() + "/jit.db-shm").c_str());
    auto reopened = Store::open(state());
    ASSERT_FALSE(reopened.ok()) << "jit.hwm marked the commit the WAL lost";
    EXPECT_EQ(reopened.error().code, EUCLEAN) << reopened.error().message;
}

TEST_F(AuditMarkTest, ACommitThatChangesStateIsMarkedWhateverItAsked) {
    const uint64_t before = hwm();
    StoreTx tx(*store_);
    tx.audit_only();  // asked, but the transaction carries a change's action
    ASSERT_TRUE(tx.begin().ok());
    bool ran = false;
    change_state(tx, &ran);
    ASSERT_TRUE(tx.commit().ok());
    EXPECT_TRUE(ran);
    EXPECT_GT(hwm(), before);
    EXPECT_EQ(hwm(), db_generation());
}

// Only the audit log's own housekeeping may commit unsynced (sync_later):
// a state change asking for it is refused, rolled back, and the next
// commit is synced (FULL) again.
TEST_F(AuditMarkTest, AStateChangeIsNeverCommittedUnsynced) {
    const uint64_t before = hwm();
    StoreTx tx(*store_);
    tx.audit_only();
    tx.sync_later();  // asked, but the transaction carries a change's action
    ASSERT_TRUE(tx.begin().ok());
    bool ran = false;
    change_state(tx, &ran);
    auto committed = tx.commit();
    ASSERT_FALSE(committed.ok());
    EXPECT_EQ(committed.error().code, EINVAL);
    EXPECT_FALSE(ran);
    EXPECT_EQ(sql("SELECT count(*) FROM grants"), "0") << "rolled back";
    EXPECT_EQ(hwm(), before);
    auto settings = store_->settings();
    ASSERT_TRUE(settings.ok());
    EXPECT_EQ(settings->synchronous, 2) << "FULL again";
}

TEST_F(AuditMarkTest, MarkHighWaterBringsTheMarkUpAndIsANoOpWhenThere) {
    decisions(2);
    ASSERT_TRUE(trail_->flush());
    ASSERT_LT(hwm(), db_generation());
    ASSERT_TRUE(store_->mark_high_water().ok());
    EXPECT_EQ(hwm(), db_generation());
    const std::string file = contents(state() + "/" + HighWater::kFileName);
    ASSERT_TRUE(store_->mark_high_water().ok());
    EXPECT_EQ(contents(state() + "/" + HighWater::kFileName), file) << "nothing rewritten";
}

}  // namespace
}  // namespace jit::daemon

// The audit trail on a real SQLite store with the real grant ledger and an
// injected clock: a grant, a revocation and an expiry commit with their
// audit record or not at all; a failed append rolls the state change back;
// records waiting between transactions commit in one flush; what jitd reads
// back (AuditReader, the export format) verifies with the auditor's key,
// and a changed row does not.
#include "tests/unit/trail/trail_fixture.h"

namespace jit::daemon {
namespace {

TEST_F(AuditTrailTest, AGrantAndItsRecordCommitTogetherWithTheJournalsFields) {
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(made.ok()) << made.error().message;
    EXPECT_EQ(sql("SELECT count(*) FROM audit_records"), "1");
    auto entries = plain_.of(Event::GrantCreated);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].field("JIT_AUDIT_SEQ"), "0") << "the journal names the record";
    EXPECT_EQ(trail_->enqueued(), 0u) << "an entry with JIT_AUDIT_SEQ is not queued again";
    std::string text;
    auto report = export_and_verify(&text);
    EXPECT_TRUE(report.intact()) << report.problem->what;
    audit::Record r = record_at(*this, text, 0);
    EXPECT_EQ(r.event, "grant");
    EXPECT_EQ(field(r, "MESSAGE"), entries[0].message);
    for (const auto& [k, v] : entries[0].fields)
        if (k != "JIT_AUDIT_SEQ") {
            EXPECT_EQ(field(r, k), v) << k;
        }
    EXPECT_EQ(r.fields.size(), entries[0].fields.size()) << "MESSAGE in, JIT_AUDIT_SEQ out";
}

TEST_F(AuditTrailTest, AFailedAuditAppendRollsTheGrantBack) {
    // Another row at the next sequence number: the trail's append fails.
    EXPECT_EQ(sql("INSERT INTO audit_records VALUES (0, 1, 'x', '', x'00')"), "");
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().code, EIO);
    EXPECT_EQ(sql("SELECT count(*) FROM grants"), "0") << "no grant without its record";
    EXPECT_EQ(ledger_->book().size(), 0u);
    EXPECT_TRUE(plain_.of(Event::GrantCreated).empty()) << "nothing journaled as done";
    EXPECT_EQ(plain_.of(Event::AuditFailed).size(), 1u);
    EXPECT_TRUE(trail_->failing());
    // Space (so to speak) returns: the next grant and its record go through.
    EXPECT_EQ(sql("DELETE FROM audit_records WHERE seq = 0"),
              "ERROR: only records sealed into a segment may be pruned");
    sql("DROP TRIGGER audit_records_prune_sealed; DELETE FROM audit_records");
    auto again = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_FALSE(trail_->failing());
    EXPECT_EQ(plain_.of(Event::AuditRecovered).size(), 1u);
    EXPECT_TRUE(export_and_verify().intact());
}

TEST_F(AuditTrailTest, AFailedAuditAppendKeepsARevokedGrantActive) {
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(made.ok());
    EXPECT_EQ(sql("INSERT INTO audit_records VALUES (1, 1, 'x', '', x'00')"), "");
    auto ended = ledger_->end(made->id, GrantState::Revoked, 0, "done");
    ASSERT_FALSE(ended.ok());
    EXPECT_EQ(sql("SELECT state FROM grants"), "1") << "still active on disk";
    EXPECT_NE(ledger_->book().find(made->id), nullptr) << "and in the book";
    EXPECT_TRUE(plain_.of(Event::GrantRevoked).empty());
}

TEST_F(AuditTrailTest, AnExpiryCommitsWithItsRecord) {
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(made.ok());
    clock_.advance(1000);
    EXPECT_TRUE(ledger_->expire_due());
    auto expired = plain_.of(Event::GrantExpired);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].field("JIT_AUDIT_SEQ"), "1");
    EXPECT_EQ(sql("SELECT group_concat(event) FROM audit_records"), "grant,expire");
}

TEST_F(AuditTrailTest, WaitingEntriesCommitInOneFlushBeforeTheNextChange) {
    for (int i = 0; i < 10; ++i)
        audited_->record(Event::Decision, 6, "allow deploy " + std::to_string(i),
                         {{"JIT_USER", "deploy"}, {"JIT_DECISION", "allow"}});
    EXPECT_EQ(trail_->enqueued(), 10u);
    EXPECT_EQ(trail_->durable(), 0u);
    EXPECT_EQ(sql("SELECT count(*) FROM audit_records"), "0") << "not written yet";
    // A state change writes what waits first, in order, in its transaction.
    auto made = ledger_->create(grant("deploy"), GrantOrigin{});
    ASSERT_TRUE(made.ok());
    EXPECT_EQ(trail_->durable(), 10u);
    EXPECT_EQ(plain_.of(Event::GrantCreated)[0].field("JIT_AUDIT_SEQ"), "10");
    audited_->record(Event::Decision, 6, "deny backup", {{"JIT_USER", "backup"}});
    EXPECT_TRUE(trail_->flush());
    EXPECT_EQ(trail_->durable(), 11u);
    EXPECT_EQ(sql("SELECT count(*) FROM audit_records"), "12");
    EXPECT_EQ(sql("SELECT count(*) FROM audit_checkpoints"), "1")
        << "at most one per commit: at 11, the next is due at 15";
    auto report = export_and_verify();
    EXPECT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(report.records, 12u);
    EXPECT_EQ(report.checkpoints, 1u);
    EXPECT_EQ(plain_.of(Event::AuditCheckpoint).size(), 1u);
}

TEST_F(AuditTrailTest, TheLogContinuesAcrossARestartAndStillVerifies) {
    ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    audited_->record(Event::Decision, 6, "allow deploy", {{"JIT_USER", "deploy"}});
    ASSERT_TRUE(trail_->flush());
    open_trail();
    audited_->record(Event::Decision, 6, "allow deploy again", {{"JIT_USER", "deploy"}});
    ASSERT_TRUE(trail_->flush());
    EXPECT_EQ(sql("SELECT group_concat(seq) FROM audit_records"), "0,1,2");
    auto report = export_and_verify();
    EXPECT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(report.records, 3u);
}

TEST_F(AuditTrailTest, RowsAreAppendOnlyAndAChangedRowFailsVerification) {
    for (int i = 0; i < 6; ++i)
        audited_->record(Event::Decision, 6, "deny backup", {{"JIT_USER", "backup"}});
    ASSERT_TRUE(trail_->flush());
    EXPECT_EQ(sql("UPDATE audit_records SET at = 0 WHERE seq = 2"),
              "ERROR: audit records are append-only");
    // Root can drop the trigger; the MAC still catches the change.
    sql("DROP TRIGGER audit_records_append_only; UPDATE audit_records SET record = "
        "CAST(replace(CAST(record AS TEXT), 'deny backup', 'deny bakup') AS BLOB) WHERE seq = 2");
    auto report = export_and_verify();
    ASSERT_FALSE(report.intact());
    ASSERT_TRUE(report.problem->seq.has_value());
    EXPECT_EQ(*report.problem->seq, 2u) << report.problem->what;
}

}  // namespace
}  // namespace jit::daemon

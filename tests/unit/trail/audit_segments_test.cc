// Sealed segments and the bound on disk use, on a real store: records move
// from jit.db into a read-only file that ends with a signed checkpoint, the
// audit-sealed record holds the file's SHA-256, and the segment files
// followed by the export verify as one log.  Past audit_max_disk the oldest
// segment is removed, with an audit-removed record, and a verification from
// the oldest kept segment says where it starts.
#include <sys/stat.h>

#include <systemd/sd-event.h>

#include <atomic>
#include <fstream>
#include <iterator>

#include <openssl/evp.h>

#include "daemon/trail/segment_writer.h"
#include "tests/unit/trail/mark_probes.h"

namespace jit::daemon {
namespace {

std::string sha256_hex(const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
    std::string hex;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; ++i) hex += {digits[out[i] >> 4], digits[out[i] & 15]};
    return hex;
}

class SegmentTest : public AuditTrailTest {
protected:
    void SetUp() override {
        AuditTrailTest::SetUp();
        ASSERT_GE(sd_event_new(&event_), 0);
        background();
    }
    void TearDown() override {
        trail_.reset();
        event_ = sd_event_unref(event_);
        AuditTrailTest::TearDown();
    }
    // As jitd does: files written on the sealer's thread, whose end the
    // loop dispatches, and maintain() run again whenever it asks.
    void background() {
        trail_->seal_in_background(event_);
        trail_->set_maintenance_due([this] { due_ = true; });
    }
    // maintain() and whatever it starts, to the end: the file written and
    // listed, its rows pruned, the disk bound kept.
    void maintain() {
        due_ = true;
        for (int i = 0; i < 100000 && (due_ || trail_->sealing()); ++i) {
            if (due_) {
                due_ = false;
                trail_->maintain();
            }
            if (trail_->sealing()) {
                ASSERT_GE(sd_event_run(event_, 10'000'000), 0);
            }
        }
        ASSERT_FALSE(due_ || trail_->sealing()) << "maintenance did not settle";
    }
    void configure(uint64_t segment_records, uint64_t max_disk) {
        AuditConfig config;
        config.checkpoint_records = 4;
        config.checkpoint_seconds = 0;
        config.segment_records = segment_records;
        config.max_disk = max_disk;
        trail_->configure(config);
    }
    void decisions(int n) {
        for (int i = 0; i < n; ++i) {
            audited_->record(Event::Decision, 6, "allow deploy " + std::to_string(i),
                             {{"JIT_USER", "deploy"}});
            ASSERT_TRUE(trail_->flush());
        }
    }
    std::string segment_dir() const { return dir_ + "/state/" + AuditTrail::kSegmentDir; }
    sd_event* event_ = nullptr;
    bool due_ = false;
    // The segment files given, then the records jit.db holds as the reader
    // pages them, through one verifier; no files: what the reader gives
    // alone, from the start of the log kept on the host.
    audit::VerifyReport verify(const std::vector<std::string>& files) {
        audit::VerifyOptions options;
        options.k0 = auditor_.k0;
        options.checkpoint_key = *audit::VerifierKey::parse(auditor_.verifier_key);
        audit::StreamVerifier verifier(options);
        std::string text;
        for (const auto& f : files) text += contents(segment_dir() + "/" + f);
        AuditReader reader(*store_, dir_ + "/state/" + AuditTrail::kSegmentDir);
        AuditReadQuery q;
        if (!files.empty()) q.from = std::stoull(sql("SELECT min(seq) FROM audit_records"));
        for (;;) {
            auto page = reader.read(q, 4096);
            EXPECT_TRUE(page.ok());
            if (!page) break;
            text += page->text;
            if (page->done) break;
            q.from = page->next;
        }
        size_t start = 0;
        for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
            verifier.feed(std::string_view(text).substr(start, nl - start));
        return verifier.finish();
    }
};

TEST_F(SegmentTest, OldRecordsAreSealedIntoAReadOnlyFileTheLogChains) {
    configure(10, 0);
    decisions(23);  // checkpoints every 4: the last at 20
    maintain();
    auto sealed = plain_.of(Event::AuditSealed);
    ASSERT_EQ(sealed.size(), 1u);
    const std::string file = sealed[0].field("JIT_AUDIT_SEGMENT");
    EXPECT_EQ(sealed[0].field("JIT_AUDIT_FIRST"), "0");
    EXPECT_EQ(sealed[0].field("JIT_AUDIT_END"), "20") << "a segment ends at a checkpoint";
    EXPECT_EQ(sealed[0].field("JIT_AUDIT_SEQ"), "23") << "the sealing is itself a record";
    const std::string data = contents(segment_dir() + "/" + file);
    EXPECT_EQ(sealed[0].field("JIT_AUDIT_SHA256"), sha256_hex(data));
    EXPECT_NE(data.rfind("{\"checkpoint\":"), std::string::npos);
    EXPECT_EQ(data.substr(data.rfind("{\"checkpoint\":")).find('\n'),
              data.size() - 1 - data.rfind("{\"checkpoint\":"))
        << "the file ends with the signed checkpoint of its last record";
    struct stat st {};
    ASSERT_EQ(stat((segment_dir() + "/" + file).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0400u) << "read-only";
    EXPECT_EQ(sql("SELECT min(seq) FROM audit_records"), "20") << "its rows left jit.db";
    auto report = verify({file});
    EXPECT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(report.records, 24u);
    EXPECT_EQ(*report.first_seq, 0u);
    // Not yet 10 more records before the last checkpoint: nothing to seal.
    maintain();
    EXPECT_EQ(plain_.of(Event::AuditSealed).size(), 1u);
}

TEST_F(SegmentTest, PastTheBoundTheOldestSegmentGoesAndVerifySaysWhereHistoryStarts) {
    configure(10, 0);
    decisions(23);
    maintain();
    decisions(12);
    maintain();
    auto sealed = plain_.of(Event::AuditSealed);
    ASSERT_EQ(sealed.size(), 2u);
    EXPECT_EQ(sealed[1].field("JIT_AUDIT_PREV_SHA256"), sealed[0].field("JIT_AUDIT_SHA256"))
        << "each sealing names the segment before";
    const std::string oldest = sealed[0].field("JIT_AUDIT_SEGMENT");
    const std::string kept = sealed[1].field("JIT_AUDIT_SEGMENT");
    EXPECT_TRUE(verify({oldest, kept}).intact());

    const uint64_t total = contents(segment_dir() + "/" + oldest).size() +
                           contents(segment_dir() + "/" + kept).size() +
                           std::stoull(sql("SELECT sum(length(record)) FROM audit_records"));
    configure(10, total - 1);  // one byte over: the oldest must go, not more
    maintain();
    auto removed = plain_.of(Event::AuditRemoved);
    ASSERT_EQ(removed.size(), 1u);
    EXPECT_EQ(removed[0].field("JIT_AUDIT_SEGMENT"), oldest);
    EXPECT_EQ(removed[0].field("JIT_AUDIT_END"), "20");
    EXPECT_FALSE(removed[0].field("JIT_AUDIT_SEQ").empty()) << "the removal is a record";
    EXPECT_FALSE(std::filesystem::exists(segment_dir() + "/" + oldest));
    EXPECT_TRUE(std::filesystem::exists(segment_dir() + "/" + kept));
    auto report = verify({kept});
    EXPECT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(*report.first_seq, 20u);
    ASSERT_FALSE(report.notes.empty());
    EXPECT_NE(report.notes[0].find("records 0..19 are not in it"), std::string::npos)
        << report.notes[0];
    // The reader alone (jitctl audit export) starts at the kept segment,
    // and the verify says so: never a silent gap.
    auto alone = verify({});
    EXPECT_TRUE(alone.intact()) << alone.problem->what;
    EXPECT_EQ(*alone.first_seq, 20u);
    ASSERT_FALSE(alone.notes.empty());
    EXPECT_NE(alone.notes[0].find("records 0..19 are not in it"), std::string::npos);
    // Asked to go on inside the removed records, it says they are gone.
    AuditReader reader(*store_, segment_dir());
    AuditReadQuery gone;
    gone.from = 5;
    auto page = reader.read(gone, 4096);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().code, ENOENT);
    EXPECT_NE(page.error().message.find("no longer kept"), std::string::npos);
}

// The file is written on the sealer's thread while the log goes on; jit.db
// lists it (with its audit-sealed record) only when the loop dispatches the
// thread's end, and its rows leave jit.db after that, a slice per
// maintain(), read as sealed meanwhile.
TEST_F(SegmentTest, TheFileIsWrittenOffTheLoopThenListedThenItsRowsPruned) {
    configure(10, 0);
    decisions(23);  // the last checkpoint at 20
    trail_->maintain();
    ASSERT_TRUE(trail_->sealing()) << "the file is being written on the thread";
    decisions(3);  // the loop goes on appending meanwhile
    EXPECT_EQ(sql("SELECT count(*) FROM audit_segments"), "0") << "not listed before its end";
    EXPECT_TRUE(plain_.of(Event::AuditSealed).empty());
    for (int i = 0; i < 1000 && trail_->sealing(); ++i) {
        ASSERT_GE(sd_event_run(event_, 10'000'000), 0);
    }
    ASSERT_FALSE(trail_->sealing());
    auto sealed = plain_.of(Event::AuditSealed);
    ASSERT_EQ(sealed.size(), 1u);
    EXPECT_EQ(sealed[0].field("JIT_AUDIT_END"), "20");
    EXPECT_EQ(sealed[0].field("JIT_AUDIT_SEQ"), "26")
        << "after the 3 records made while it was written";
    EXPECT_TRUE(due_) << "the loop is asked to go on (prune, then the disk bound)";
    EXPECT_EQ(sql("SELECT min(seq) FROM audit_records"), "0") << "rows not pruned yet";
    std::string text;
    auto report = export_and_verify(&text);
    EXPECT_TRUE(report.intact()) << report.problem->what;
    EXPECT_EQ(report.records, 27u) << "each record once: the rows still held are read as sealed";
    due_ = false;
    trail_->maintain();
    EXPECT_EQ(sql("SELECT min(seq) FROM audit_records"), "20") << "pruned";
    EXPECT_TRUE(export_and_verify().intact());
}

// A slice of a sealed file's rows leaves jit.db without a sync on the loop
// (the rows are in the listed file; a crash may only bring some back, to
// be dropped again): jit.hwm is left alone, and no decision waiting for
// its record joins it, since that record's answer needs a synced commit.
TEST_F(SegmentTest, APruneSliceIsNotSyncedAndTakesNoWaitingRecord) {
    configure(10, 0);
    decisions(23);
    trail_->maintain();
    for (int i = 0; i < 1000 && trail_->sealing(); ++i) {
        ASSERT_GE(sd_event_run(event_, 10'000'000), 0);
    }
    ASSERT_EQ(sql("SELECT count(*) FROM audit_segments"), "1");
    const std::string hwm_path = dir_ + "/state/" + HighWater::kFileName;
    const uint64_t marked = marked_generation(hwm_path);
    const std::string generation = sql("SELECT n FROM jit_generation WHERE only_row = 1");
    audited_->record(Event::Decision, 6, "allow deploy", {{"JIT_USER", "deploy"}});
    const uint64_t durable = trail_->durable();
    ASSERT_TRUE(trail_->waiting());
    due_ = false;
    trail_->maintain();
    EXPECT_EQ(sql("SELECT min(seq) FROM audit_records"), "20") << "pruned";
    EXPECT_NE(sql("SELECT n FROM jit_generation WHERE only_row = 1"), generation);
    EXPECT_EQ(marked_generation(hwm_path), marked) << "jit.hwm not written";
    EXPECT_TRUE(trail_->waiting()) << "the decision's record still waits for a synced commit";
    EXPECT_EQ(trail_->durable(), durable);
    auto settings = store_->settings();
    ASSERT_TRUE(settings.ok());
    EXPECT_EQ(settings->synchronous, 2) << "the next commit is synced (FULL) again";
    ASSERT_TRUE(trail_->flush());
    EXPECT_GT(trail_->durable(), durable);
    EXPECT_TRUE(export_and_verify().intact());
}

// audit_max_disk counts the records jit.db holds unsealed; reading that
// means reading each of them, so the trail keeps the count as records
// commit and reads it again only after a start or a seal.
TEST_F(SegmentTest, TheBytesHeldAreCountedAsRecordsCommitAndReadAgainAfterASeal) {
    configure(10, 1ULL << 40);
    decisions(7);
    AuditStore rows(*store_);
    auto in_db = [&] { return *rows.bytes_held(); };
    ASSERT_EQ(*trail_->held_bytes(), in_db());
    decisions(16);  // checkpoints every 4: the last at 20
    EXPECT_EQ(*trail_->held_bytes(), in_db()) << "counted as they commit";
    ASSERT_TRUE(ledger_->create(grant("deploy"), GrantOrigin{}).ok());
    EXPECT_EQ(*trail_->held_bytes(), in_db()) << "a state change's records too";
    maintain();  // records 0..19 sealed and pruned
    ASSERT_EQ(sql("SELECT count(*) FROM audit_segments"), "1");
    EXPECT_EQ(*trail_->held_bytes(), in_db()) << "only the records after the file";
    decisions(3);
    EXPECT_EQ(*trail_->held_bytes(), in_db());
    // A row jit.db gained behind the trail's back is not seen: the count
    // is not read again between seals.
    const uint64_t counted = *trail_->held_bytes();
    sql("INSERT INTO audit_records (seq, at, event, user, record) "
        "VALUES (1000000, 0, 'decision', '', zeroblob(100))");
    EXPECT_EQ(in_db(), counted + 100);
    EXPECT_EQ(*trail_->held_bytes(), counted);
}

// A file abandoned as jitd stops: the thread stops at its next page and
// removes what it wrote; if it had finished, the file is unlisted and the
// next start removes it.  Either way the records are sealed again.
TEST_F(SegmentTest, AFileAbandonedAtStopIsSealedAgainAfterTheRestart) {
    configure(10, 0);
    decisions(23);
    std::atomic<bool> stop{true};
    AuditStore rows(*store_);
    auto cancelled = write_segment_file(rows, segment_dir(), 0, 20, kT0, stop);
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, ECANCELED);
    EXPECT_TRUE(std::filesystem::is_empty(segment_dir())) << "no file, no .tmp left";

    trail_->maintain();
    ASSERT_TRUE(trail_->sealing());
    trail_->stop_sealing();  // as jitd does once its loop has ended
    EXPECT_FALSE(trail_->sealing());
    EXPECT_EQ(sql("SELECT count(*) FROM audit_segments"), "0");
    open_trail();
    ASSERT_TRUE(trail_->recover_segments().ok());
    configure(10, 0);
    background();
    maintain();
    ASSERT_EQ(plain_.of(Event::AuditSealed).size(), 1u);
    EXPECT_EQ(sql("SELECT count(*) FROM audit_segments"), "1");
    auto report = export_and_verify();
    EXPECT_TRUE(report.intact()) << report.problem->what;
}

// A sealed file jit.db lists is gone (not by jitd): the next start says so
// loudly and records it, and starts; an export says which records are
// missing in their place and goes on from the tree state after them, so a
// verify names them as its problem and still checks everything after.
TEST_F(SegmentTest, AListedFileThatIsGoneIsSaidAtStartAndNamedByExportAndVerify) {
    configure(10, 0);
    decisions(23);
    maintain();
    decisions(12);
    maintain();
    auto sealed = plain_.of(Event::AuditSealed);
    ASSERT_EQ(sealed.size(), 2u);
    const std::string gone = sealed[0].field("JIT_AUDIT_SEGMENT");
    ASSERT_EQ(::unlink((segment_dir() + "/" + gone).c_str()), 0);

    open_trail();
    ASSERT_TRUE(trail_->recover_segments().ok()) << "jitd starts";
    auto said = plain_.of(Event::AuditSegmentMissing);
    ASSERT_EQ(said.size(), 1u);
    EXPECT_EQ(said[0].field("JIT_AUDIT_SEGMENT"), gone);
    EXPECT_EQ(said[0].field("JIT_AUDIT_FIRST"), "0");
    EXPECT_EQ(said[0].field("JIT_AUDIT_END"), "20");
    EXPECT_EQ(said[0].field("JIT_AUDIT_SHA256"), sealed[0].field("JIT_AUDIT_SHA256"));
    EXPECT_FALSE(said[0].field("JIT_AUDIT_SEQ").empty()) << "a record of the log too";

    std::string text;
    auto report = export_and_verify(&text);
    EXPECT_EQ(text.find("{\"missing\":{\"end\":20,\"first\":0,\"segment\":\"" + gone + "\"}}\n"),
              0u)
        << text.substr(0, 200);
    ASSERT_FALSE(report.intact());
    EXPECT_EQ(report.problem->seq, std::optional<uint64_t>(0));
    EXPECT_NE(report.problem->what.find("records 0..19 are missing"), std::string::npos)
        << report.problem->what;
    EXPECT_NE(report.problem->what.find(gone), std::string::npos);
    ASSERT_EQ(report.missing.size(), 1u);
    const uint64_t size = std::stoull(sql("SELECT size FROM audit_state"));
    EXPECT_EQ(report.records, size - 20) << "every record after the gap was read";
    EXPECT_EQ(report.macs_checked, size - 20) << "... and checked";
    EXPECT_TRUE(report.tree_known) << "from the tree state after the gap";
    ASSERT_FALSE(report.notes.empty());
    EXPECT_NE(report.notes.back().find("the records after the missing ones verify"),
              std::string::npos);
    // A record changed after the gap is still found, though the gap is the
    // first problem.
    EXPECT_EQ(sql("DROP TRIGGER audit_records_append_only; UPDATE audit_records SET record = "
                  "CAST(replace(CAST(record AS TEXT), 'serves on', 'serves no') AS BLOB) "
                  "WHERE seq = " +
                  said[0].field("JIT_AUDIT_SEQ") + "; SELECT changes()"),
              "1");
    auto tampered = export_and_verify();
    ASSERT_FALSE(tampered.intact());
    EXPECT_NE(tampered.problem->what.find("records 0..19 are missing"), std::string::npos);
    EXPECT_TRUE(tampered.notes.empty() ||
                tampered.notes.back().find("after the missing ones verify") == std::string::npos)
        << "not said to verify";
}

// What jitctl audit export, show and jit-fleet read through jitd reaches the
// sealed records: in pages small enough to split each file many times, the
// whole log from record 0 comes back once, in order, and verifies; --since
// and --user reach into the files; a file that is not the one sealed is
// refused, not served.
TEST_F(SegmentTest, TheReaderPagesThroughSealedFilesThenJitDb) {
    configure(10, 0);
    for (int i = 0; i < 23; ++i) {
        clock_.advance(10);
        audited_->record(Event::Decision, 6, "allow " + std::to_string(i),
                         {{"JIT_USER", i % 5 == 0 ? "backup" : "deploy"}});
        ASSERT_TRUE(trail_->flush());
    }
    maintain();
    decisions(12);
    maintain();
    ASSERT_EQ(plain_.of(Event::AuditSealed).size(), 2u);
    std::string text;
    auto all = export_and_verify(&text);  // 600-byte pages
    EXPECT_TRUE(all.intact()) << all.problem->what;
    EXPECT_EQ(*all.first_seq, 0u);
    const uint64_t size = std::stoull(sql("SELECT size FROM audit_state"));
    EXPECT_EQ(all.records, size) << "every record, sealed or held, once";
    EXPECT_EQ(text.find("{\"frontier\""), std::string::npos) << "a run from 0 has no frontier";

    AuditReader reader(*store_, segment_dir());
    auto read_all = [&](AuditReadQuery q, size_t page_bytes) {
        std::string out;
        for (int pages = 0; pages < 10000; ++pages) {
            auto page = reader.read(q, page_bytes);
            EXPECT_TRUE(page.ok()) << (page ? "" : page.error().message);
            if (!page) break;
            out += page->text;
            if (page->done) break;
            q.from = page->next;
        }
        return out;
    };
    // --since: records 0..22 were made at kT0+10, +20, ...; since +105 starts
    // at the checkpoint before record 10 (signed at +100, size 8), with its
    // frontier, inside the first file.
    AuditReadQuery since;
    since.since = kT0 + 105;
    const std::string from_since = read_all(since, 300);
    EXPECT_EQ(from_since.find("{\"frontier\":{\"hashes\""), 0u) << from_since.substr(0, 80);
    EXPECT_NE(from_since.find("\"seq\":8,"), std::string::npos);
    EXPECT_EQ(from_since.find("\"seq\":7,"), std::string::npos);
    EXPECT_NE(from_since.find("\"seq\":" + std::to_string(size - 1) + ","), std::string::npos);
    // --user: only backup's records (0, 5, 10, 15, 20), from the files.
    AuditReadQuery user;
    user.user = "backup";
    const std::string backup = read_all(user, 300);
    size_t lines = 0;
    for (char c : backup) lines += c == '\n';
    EXPECT_EQ(lines, 5u) << backup;
    EXPECT_EQ(backup.find("checkpoint"), std::string::npos);
    // A sealed file that changed size is refused.
    const std::string first = plain_.of(Event::AuditSealed)[0].field("JIT_AUDIT_SEGMENT");
    ASSERT_EQ(chmod((segment_dir() + "/" + first).c_str(), 0600), 0);
    std::ofstream(segment_dir() + "/" + first, std::ios::app) << "\n";
    AuditReadQuery start;
    auto refused = reader.read(start, 4096);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, EBADMSG);
}

}  // namespace
}  // namespace jit::daemon

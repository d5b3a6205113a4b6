// Sealed segments and the bound on disk use, on a real store: records move
// from jit.db into a read-only file that ends with a signed checkpoint, the
// audit-sealed record holds the file's SHA-256, and the segment files
// followed by the export verify as one log.  Past audit_max_disk the oldest
// segment is removed, with an audit-removed record, and a verification from
// the oldest kept segment says where it starts.
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include <openssl/evp.h>

#include "tests/unit/trail/trail_fixture.h"

namespace jit::daemon {
namespace {

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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
    // The segment files given, then the export, through one verifier.
    audit::VerifyReport verify(const std::vector<std::string>& files) {
        audit::VerifyOptions options;
        options.k0 = auditor_.k0;
        options.checkpoint_key = *audit::VerifierKey::parse(auditor_.verifier_key);
        audit::StreamVerifier verifier(options);
        std::string text;
        for (const auto& f : files) text += contents(segment_dir() + "/" + f);
        AuditReader reader(*store_);
        AuditReadQuery q;
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
    trail_->maintain();
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
    trail_->maintain();
    EXPECT_EQ(plain_.of(Event::AuditSealed).size(), 1u);
}

TEST_F(SegmentTest, PastTheBoundTheOldestSegmentGoesAndVerifySaysWhereHistoryStarts) {
    configure(10, 0);
    decisions(23);
    trail_->maintain();
    decisions(12);
    trail_->maintain();
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
    trail_->maintain();
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
    // Without the kept segment, the export alone starts later still, and
    // says so too: never a silent gap.
    auto alone = verify({});
    EXPECT_TRUE(alone.intact());
    EXPECT_GT(*alone.first_seq, 20u);
}

}  // namespace
}  // namespace jit::daemon

// Replays the protocol fuzz corpus (tests/fuzz/corpus/protocol/*.hex) through
// the very property check the libFuzzer target runs, so every seed, and every
// crash the fuzzer ever found, stays a regression test on machines without
// clang.  A missing or empty corpus fails: this test must not pass vacuously.
//
// Seed names carry their expected verdict: "ok-*" must decode, "bad-*" must
// be refused; other names (regressions found by the fuzzer) need only hold
// the properties.
#include <dirent.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "tests/fuzz/hex.h"
#include "tests/fuzz/protocol_check.h"
#include "tests/fuzz/snapshot_check.h"
#include "daemon/accounts/snapshot_writer.h"
#include "tests/unit/common/snapshot_fixture.h"

namespace jit::test {
namespace {

constexpr const char* kCorpus = "tests/fuzz/corpus/protocol";
constexpr const char* kSnapshotCorpus = "tests/fuzz/corpus/snapshot";

bool is_dir(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string parent(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The corpus relative to $JIT_SOURCE_DIR, or to the nearest ancestor of the
// working directory or of the test binary that has one (the binary usually
// lives in build/tests/ under the source tree).
std::string find_corpus(const char* corpus = kCorpus) {
    std::vector<std::string> starts;
    if (const char* env = getenv("JIT_SOURCE_DIR")) return std::string(env) + "/" + corpus;
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof buf)) starts.emplace_back(buf);
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) starts.push_back(parent(std::string(buf, size_t(n))));
    for (std::string dir : starts) {
        for (;;) {
            if (is_dir(dir + "/" + corpus)) return dir + "/" + corpus;
            if (dir == "/") break;
            dir = parent(dir);
        }
    }
    return "";
}

std::vector<std::string> hex_files(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 4 && name.compare(name.size() - 4, 4, ".hex") == 0)
                names.push_back(name);
        }
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

TEST(FuzzReplay, ProtocolCorpusHoldsEveryProperty) {
    std::string dir = find_corpus();
    ASSERT_FALSE(dir.empty()) << "protocol fuzz corpus not found (looked for " << kCorpus
                              << " above the working directory and the test binary; set "
                                 "JIT_SOURCE_DIR to the source tree)";
    ASSERT_TRUE(is_dir(dir)) << "protocol fuzz corpus " << dir << " is not a directory";
    auto names = hex_files(dir);
    ASSERT_FALSE(names.empty()) << "no *.hex seeds in " << dir;

    std::set<proto::MsgType> accepted_types;
    size_t rejected = 0;
    for (const auto& name : names) {
        SCOPED_TRACE(name);
        std::ifstream in(dir + "/" + name, std::ios::binary);
        ASSERT_TRUE(in) << "cannot read the seed";
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto bytes = fuzz::parse_hex(text);
        ASSERT_TRUE(bytes.has_value()) << "the seed is not valid hex";

        auto verdict = fuzz::check_protocol_frame(bytes->data(), bytes->size());
        EXPECT_EQ(verdict.violation, nullptr) << "property violated: " << verdict.violation;
        if (starts_with(name, "ok-")) {
            EXPECT_TRUE(verdict.accepted) << "an ok- seed was refused";
        }
        if (starts_with(name, "bad-")) {
            EXPECT_FALSE(verdict.accepted) << "a bad- seed decoded";
        }
        if (verdict.accepted) accepted_types.insert(verdict.type);
        rejected += !verdict.accepted;
    }
    // The corpus must drive the typed round trip for every message type, and
    // the rejection paths too; otherwise the replay proves less than it seems.
    for (auto t : {proto::MsgType::CheckRequest,       proto::MsgType::CheckReply,
                   proto::MsgType::GrantRequest,       proto::MsgType::GrantReply,
                   proto::MsgType::RevokeRequest,      proto::MsgType::RevokeReply,
                   proto::MsgType::ListRequest,        proto::MsgType::ListReply,
                   proto::MsgType::StatusRequest,      proto::MsgType::StatusReply,
                   proto::MsgType::ErrorReply,         proto::MsgType::SessionOpenRequest,
                   proto::MsgType::SessionOpenReply,   proto::MsgType::SessionCloseRequest,
                   proto::MsgType::SessionCloseReply,  proto::MsgType::SessionListRequest,
                   proto::MsgType::SessionListReply,   proto::MsgType::AccountAddRequest,
                   proto::MsgType::AccountReply,       proto::MsgType::AccountRemoveRequest,
                   proto::MsgType::AccountListRequest, proto::MsgType::AccountListReply,
                   proto::MsgType::RequestCreate,      proto::MsgType::RequestReply,
                   proto::MsgType::RequestCancel,      proto::MsgType::RequestApprove,
                   proto::MsgType::RequestDeny,        proto::MsgType::RequestShow,
                   proto::MsgType::RequestList,        proto::MsgType::RequestListReply,
                   proto::MsgType::ExplainRequest,     proto::MsgType::ExplainReply})
        EXPECT_TRUE(accepted_types.count(t)) << "no accepted seed of message type " << int(t);
    EXPECT_GT(rejected, 0u) << "no seed exercises a rejection";
}

// The snapshot corpus (tests/fuzz/corpus/snapshot, written from the format's
// documentation by snapshot_seeds.py, plus anything the fuzzer found): ok-*
// seeds must open and verify, bad-* seeds must not, and every seed must hold
// the properties of snapshot_check.h.
TEST(FuzzReplay, SnapshotCorpusHoldsEveryProperty) {
    std::string dir = find_corpus(kSnapshotCorpus);
    ASSERT_FALSE(dir.empty()) << "snapshot fuzz corpus not found (" << kSnapshotCorpus << ")";
    auto names = hex_files(dir);
    ASSERT_FALSE(names.empty()) << "no *.hex seeds in " << dir;
    size_t verified = 0, refused = 0, opened_but_refused = 0;
    for (const auto& name : names) {
        SCOPED_TRACE(name);
        std::ifstream in(dir + "/" + name, std::ios::binary);
        ASSERT_TRUE(in) << "cannot read the seed";
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto bytes = fuzz::parse_hex(text);
        ASSERT_TRUE(bytes.has_value()) << "the seed is not valid hex";
        auto verdict = fuzz::check_snapshot(bytes->data(), bytes->size());
        EXPECT_EQ(verdict.violation, nullptr) << "property violated: " << verdict.violation;
        if (starts_with(name, "ok-")) {
            EXPECT_TRUE(verdict.verified) << "an ok- seed was refused";
        }
        if (starts_with(name, "bad-")) {
            EXPECT_FALSE(verdict.verified) << "a bad- seed verified";
        }
        verified += verdict.verified;
        refused += !verdict.verified;
        opened_but_refused += verdict.opened && !verdict.verified;
    }
    EXPECT_GT(verified, 0u) << "no seed exercises the consistency checks";
    EXPECT_GT(opened_but_refused, 0u) << "no seed reaches verify() and fails it";
    EXPECT_GT(refused - opened_but_refused, 0u) << "no seed fails open()";
}

// ok-basic.hex was written by snapshot_seeds.py from the format's
// documentation alone; jitd's writer, given the same world, must produce the
// very same bytes.  Two implementations and the document agree.
TEST(FuzzReplay, JitdsWriterProducesTheDocumentedBytes) {
    std::string dir = find_corpus(kSnapshotCorpus);
    ASSERT_FALSE(dir.empty());
    std::ifstream in(dir + "/ok-basic.hex", std::ios::binary);
    ASSERT_TRUE(in) << "ok-basic.hex is missing";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto documented = fuzz::parse_hex(text);
    ASSERT_TRUE(documented.has_value());
    auto built = daemon::build_snapshot(testing::sample_input());
    ASSERT_TRUE(built.ok()) << built.error().what;
    EXPECT_EQ(built->bytes, *documented);
}

TEST(FuzzReplay, HexSeedsParseStrictly) {
    auto ok = fuzz::parse_hex("4a49 5431 # magic\n\t01 00\r\n");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, (std::vector<uint8_t>{0x4a, 0x49, 0x54, 0x31, 0x01, 0x00}));
    EXPECT_EQ(fuzz::parse_hex("# only a comment\n"), std::vector<uint8_t>{});
    EXPECT_FALSE(fuzz::parse_hex("4a4").has_value()) << "odd digit count";
    EXPECT_FALSE(fuzz::parse_hex("4g").has_value()) << "stray character";
    EXPECT_EQ(fuzz::parse_hex("4 a"), std::vector<uint8_t>{0x4a});
}

// The property check is not vacuous: fed the faults it exists to catch, it
// names them.
TEST(FuzzReplay, PropertyCheckCanFail) {
    using namespace fuzz::detail;
    std::vector<uint8_t> oversize = *fuzz::parse_hex("4a495431 0100 0900 01000000 f1ff0000");
    auto v = fuzz::check_protocol_frame(oversize.data(), oversize.size());
    EXPECT_FALSE(v.accepted);
    EXPECT_EQ(v.violation, nullptr) << v.violation;
    EXPECT_NE(check_rejection(oversize.data(), oversize.size(), make_error(EPROTO, "x")), nullptr)
        << "an oversized body_len refused as EPROTO must be flagged";
    EXPECT_NE(check_rejection(oversize.data(), 3, make_error(EINVAL, "x")), nullptr);
    EXPECT_NE(check_rejection(oversize.data(), 3, make_error(EPROTO, "")), nullptr);

    std::vector<uint8_t> body = *fuzz::parse_hex("0100 03 00 01000000 61  0200 03");
    EXPECT_TRUE(walks_exactly(body.data(), 9, 0));
    EXPECT_FALSE(walks_exactly(body.data(), body.size(), 0)) << "a trailing partial field";

    msg::CheckReply a, b;
    a.not_after = 0;
    EXPECT_FALSE(same(a, b)) << "present-at-zero and absent must differ";
    msg::GrantList l1, l2;
    l1.grants.resize(1);
    EXPECT_FALSE(same(l1, l2));
    l2.grants.resize(1);
    EXPECT_TRUE(same(l1, l2));
    l2.grants[0].ended_by = 0;
    EXPECT_FALSE(same(l1, l2));
}

}  // namespace
}  // namespace jit::test

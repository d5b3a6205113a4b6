// Replays the policy, TZif, key-set and audit fuzz corpora
// (tests/fuzz/corpus/{policy,tzif,key_set,audit})
// through the property checks their libFuzzer targets run, so every seed and
// every crash ever found stays a regression test without clang.  "ok-" seeds
// must be accepted, "bad-" seeds refused; others need only hold the
// properties.  A missing or empty corpus fails.
#include <dirent.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/audit_check.h"
#include "tests/fuzz/hex.h"
#include "tests/fuzz/identity_check.h"
#include "tests/fuzz/key_set_check.h"
#include "tests/fuzz/policy_check.h"
#include "tests/fuzz/tzif_check.h"

namespace jit::test {
namespace {

bool is_dir(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string corpus_dir(const std::string& name) {
    std::string rel = "tests/fuzz/corpus/" + name;
    if (const char* env = getenv("JIT_SOURCE_DIR")) return std::string(env) + "/" + rel;
    char buf[PATH_MAX];
    std::vector<std::string> starts;
    if (getcwd(buf, sizeof buf)) starts.emplace_back(buf);
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) starts.emplace_back(std::string(buf, size_t(n)));
    for (std::string dir : starts) {
        while (!dir.empty()) {
            if (is_dir(dir + "/" + rel)) return dir + "/" + rel;
            auto slash = dir.find_last_of('/');
            if (slash == std::string::npos || dir == "/") break;
            dir = slash == 0 ? "/" : dir.substr(0, slash);
            if (dir == "/") break;
        }
    }
    return "";
}

struct Seed {
    std::string name;
    std::vector<uint8_t> bytes;
};

std::vector<Seed> seeds(const std::string& corpus) {
    std::string dir = corpus_dir(corpus);
    EXPECT_FALSE(dir.empty()) << "corpus " << corpus << " not found";
    std::vector<Seed> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() < 5 || name.compare(name.size() - 4, 4, ".hex") != 0) continue;
            std::ifstream in(dir + "/" + name, std::ios::binary);
            std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            auto bytes = fuzz::parse_hex(text);
            EXPECT_TRUE(bytes.has_value()) << name << " is not valid hex";
            if (bytes) out.push_back({name, std::move(*bytes)});
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end(), [](const Seed& a, const Seed& b) { return a.name < b.name; });
    EXPECT_GT(out.size(), 3u) << "corpus " << corpus << " is (nearly) empty";
    return out;
}

bool starts_with(const std::string& s, const char* p) {
    return s.rfind(p, 0) == 0;
}

template <typename Check>
void replay(const std::string& corpus, Check check) {
    size_t accepted = 0, refused = 0;
    for (const auto& s : seeds(corpus)) {
        SCOPED_TRACE(s.name);
        auto v = check(s.bytes.data(), s.bytes.size());
        EXPECT_EQ(v.violation, nullptr) << "property violated: " << v.violation;
        if (starts_with(s.name, "ok-")) {
            EXPECT_TRUE(v.accepted) << "an ok- seed was refused";
        }
        if (starts_with(s.name, "bad-")) {
            EXPECT_FALSE(v.accepted) << "a bad- seed was accepted";
        }
        (v.accepted ? accepted : refused)++;
    }
    EXPECT_GT(accepted, 0u);
    EXPECT_GT(refused, 0u);
}

TEST(FuzzReplay, PolicyCorpusHoldsEveryProperty) {
    replay("policy", fuzz::check_policy_text);
}

TEST(FuzzReplay, TzifCorpusHoldsEveryProperty) {
    replay("tzif", fuzz::check_tzif);
}

// jit-jwks-refresh's checks of what an issuer's server sent.
TEST(FuzzReplay, KeySetCorpusHoldsEveryProperty) {
    replay("key_set", fuzz::check_key_set_bytes);
}

TEST(FuzzReplay, AuditCorpusHoldsEveryProperty) {
    replay("audit", fuzz::check_audit);
}

TEST(FuzzReplay, IdentityCorpusHoldsEveryProperty) {
    replay("identity", fuzz::check_identity);
}

// The checks are not vacuous: they flag what they exist to catch.
TEST(FuzzReplay, PolicyAndTzifChecksCanFail) {
    daemon::PolicyOptions o;
    o.zones = fuzz::detail::fuzz_zones();
    daemon::Rule r;
    r.name = "x";
    r.services = {"sshd"};
    EXPECT_NE(fuzz::detail::check_rule(r, o), nullptr) << "no accounts";
    r.accounts.users = {"root"};
    EXPECT_NE(fuzz::detail::check_rule(r, o), nullptr) << "root";
    r.accounts.users = {"deploy"};
    r.min_duration = 10;
    r.max_duration = 5;
    EXPECT_NE(fuzz::detail::check_rule(r, o), nullptr) << "durations out of order";
    r.max_duration = 50;
    EXPECT_EQ(fuzz::detail::check_rule(r, o), nullptr);
    auto berlin = fuzz::detail::fuzz_zones()("Europe/Berlin");
    ASSERT_TRUE(berlin.ok()) << berlin.error();
    EXPECT_EQ((*berlin)->offset_at(1774746000), 7200);
    EXPECT_EQ(fuzz::detail::check_offsets(**berlin), nullptr);
}

}  // namespace
}  // namespace jit::test

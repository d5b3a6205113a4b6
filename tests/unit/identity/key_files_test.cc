// Reading the issuers' key sets as jitd does at start and on reload: a file
// that cannot be used keeps the keys the issuer had before (never taking
// working keys away on a torn refresh), and with none before the issuer has
// no keys, so its tokens are refused (fail closed).
#include "daemon/identity/key_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/helpers/jwt_sign.h"

namespace jit::daemon::identity {
namespace {

namespace t = jit::testing;

class KeyFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-keyfiles-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        Provider p;
        p.name = "github";
        p.issuer = "https://issuer.example";
        p.audiences = {"jit:web-1"};
        p.jwks_file = dir_ + "/github.json";
        providers_.providers.push_back(p);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& text, mode_t mode = 0644) {
        std::ofstream(dir_ + "/github.json", std::ios::trunc) << text;
        ASSERT_EQ(chmod((dir_ + "/github.json").c_str(), mode), 0);
    }
    std::string jwks(const std::string& kid) {
        return "{\"keys\":[" + t::public_jwk(key_.get(), kid, "") + "]}";
    }
    std::string dir_;
    ProviderSet providers_;
    t::Pkey key_ = t::generate_key("P-256");
};

TEST_F(KeyFilesTest, AGoodFileGivesTheIssuerItsKeys) {
    write(jwks("k1"));
    auto loaded = load_key_sets(providers_, {});
    ASSERT_EQ(loaded.issuers.size(), 1u);
    ASSERT_NE(loaded.issuers[0].keys, nullptr);
    EXPECT_EQ(loaded.issuers[0].keys->keys[0].kid, "k1");
    EXPECT_TRUE(loaded.problems.empty());
}

TEST_F(KeyFilesTest, ABadFileKeepsTheKeysReadBefore) {
    write(jwks("k1"));
    auto before = load_key_sets(providers_, {});
    for (const std::string& bad : {std::string("{\"keys\": ["), std::string("")}) {
        write(bad);
        auto after = load_key_sets(providers_, before.issuers);
        ASSERT_EQ(after.problems.size(), 1u);
        EXPECT_NE(after.problems[0].find("keeping the keys read before"), std::string::npos);
        ASSERT_NE(after.issuers[0].keys, nullptr);
        EXPECT_EQ(after.issuers[0].keys, before.issuers[0].keys);
    }
}

TEST_F(KeyFilesTest, WithNothingBeforeABadFileLeavesNoKeys) {
    write("not json");
    auto loaded = load_key_sets(providers_, {});
    ASSERT_EQ(loaded.issuers.size(), 1u);
    EXPECT_EQ(loaded.issuers[0].keys, nullptr);
    ASSERT_EQ(loaded.problems.size(), 1u);
    EXPECT_NE(loaded.problems[0].find("its tokens are refused"), std::string::npos);
}

TEST_F(KeyFilesTest, AFileOthersMayWriteIsNotRead) {
    write(jwks("k1"), 0666);
    auto keys = read_key_file(dir_ + "/github.json");
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error(), "must not be writable by group or others");
    EXPECT_EQ(load_key_sets(providers_, {}).issuers[0].keys, nullptr);
}

TEST_F(KeyFilesTest, AMissingOrHugeFileIsRefused) {
    EXPECT_FALSE(read_key_file(dir_ + "/none.json"));
    write(std::string(kMaxJwksBytes + 1, ' '));
    auto keys = read_key_file(dir_ + "/github.json");
    ASSERT_FALSE(keys);
    EXPECT_NE(keys.error().find("larger than"), std::string::npos);
}

TEST_F(KeyFilesTest, AnotherIssuerOrFileDoesNotInheritOldKeys) {
    write(jwks("k1"));
    auto before = load_key_sets(providers_, {});
    write("{");
    providers_.providers[0].issuer = "https://other.example";
    auto after = load_key_sets(providers_, before.issuers);
    EXPECT_EQ(after.issuers[0].keys, nullptr);
}

}  // namespace
}  // namespace jit::daemon::identity

// identity.d's jwks_uri: read by jit-jwks-refresh(8), accepted (and only
// checked) by jitd, which never fetches.
#include <gtest/gtest.h>

#include "daemon/identity/identity_config.h"

namespace jit::daemon::identity {
namespace {

std::string section(const std::string& jwks_uri_line) {
    return "[ci]\nissuer = https://ci.example\naudience = jit:web-1\n"
           "jwks_file = /var/lib/jit-jwks/ci.json\n" +
           jwks_uri_line;
}

TEST(IdentityConfigRefresh, JwksUriHttpsOrDiscoveryIsAccepted) {
    for (const char* line :
         {"jwks_uri = https://ci.example/keys\n", "jwks_uri = discovery\n", ""}) {
        ProviderSet set;
        auto r = parse_identity_text(section(line), "ci.conf", &set);
        EXPECT_TRUE(r.ok()) << line << ": " << r.error().to_string();
        ASSERT_EQ(set.providers.size(), 1u);
        EXPECT_EQ(set.providers[0].jwks_file, "/var/lib/jit-jwks/ci.json");
    }
}

TEST(IdentityConfigRefresh, JwksUriThatIsNotHttpsIsRefusedWithItsKey) {
    for (const char* line : {"jwks_uri = http://ci.example/keys\n", "jwks_uri = ci.example/keys\n",
                             "jwks_uri = Discovery\n"}) {
        ProviderSet set;
        auto r = parse_identity_text(section(line), "ci.conf", &set);
        ASSERT_FALSE(r.ok()) << line;
        EXPECT_EQ(r.error().place.key, "jwks_uri");
        EXPECT_EQ(r.error().place.line, 5);
    }
}

}  // namespace
}  // namespace jit::daemon::identity

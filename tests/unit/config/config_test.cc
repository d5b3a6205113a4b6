// jitd.conf parsing: every error class with the line it must be reported on,
// defaults, a full valid file, and the shipped conf/jitd.conf.
#include <errno.h>
#include <ini.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "daemon/config/config.h"

using namespace std::string_literals;
using jit::Failure;
using jit::daemon::Config;
using jit::daemon::config_error;
using jit::daemon::load_config;
using jit::daemon::parse_config;

namespace {

// Tests run from the repository root.
constexpr const char* kShippedConfig = "conf/jitd.conf";

struct ErrorCase {
    const char* name;
    std::string text;
    int line;
    const char* key;
    std::string message;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) {
    return os << c.name;
}

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, ReportsFirstErrorWithItsLine) {
    const ErrorCase& c = GetParam();
    auto result = parse_config(c.text, "t.conf");
    ASSERT_FALSE(result.ok()) << "accepted:\n" << c.text;
    const Failure& e = result.error();
    EXPECT_EQ(e.place.file, "t.conf");
    EXPECT_EQ(e.place.line, c.line) << e.to_string();
    EXPECT_EQ(e.place.key, c.key) << e.to_string();
    EXPECT_EQ(e.message, c.message) << e.to_string();
}

const std::string kLongName(33, 'a');
const std::string kLongSocket = "/run/" + std::string(103, 's');  // 108 bytes
const std::string kTooLongLine = "# " + std::string(4095, 'x');   // 4097 bytes

const ErrorCase kErrorCases[] = {
    // sections and keys
    {"UnknownSection", "[jitd]\nsocket = /a\n[bogus]\nx = 1\n", 3, "", "unknown section [bogus]"},
    {"UnknownEmptySection", "[jitd]\n\n[extra]\n", 3, "", "unknown section [extra]"},
    {"SectionNamesAreCaseSensitive", "[JITD]\n", 1, "", "unknown section [JITD]"},
    {"BlanksInsideBrackets", "[ jitd ]\n", 1, "", "unknown section [ jitd ]"},
    {"UnknownKey", "[jitd]\nsocket = /run/x\nsockt = /y\n", 3, "sockt", "unknown key in [jitd]"},
    {"KeyInWrongSection", "[managed]\n; comment\nsocket = /x\n", 3, "socket",
     "unknown key in [managed]"},
    {"KeyOutsideSection", "# top\nsocket = /x\n[jitd]\n", 2, "socket", "key outside a section"},
    {"RepeatedKey", "[jitd]\nmax_grant = 1d\n\nmax_grant = 2d\n", 4, "max_grant",
     "key given twice in [jitd]"},
    {"RepeatedKeyInReopenedSection", "[jitd]\nsocket=/a\n[managed]\nusers=a\n[jitd]\nsocket=/b\n",
     6, "socket", "key given twice in [jitd]"},
    {"RepeatedKeySameValue", "[managed]\nuids = 70000\nuids = 70000\n", 3, "uids",
     "key given twice in [managed]"},
    // empty values
    {"EmptyAdminGroup", "[jitd]\nadmin_group =\n", 2, "admin_group",
     "empty value (leave the key out to get the default)"},
    {"EmptyUsersWithComment", "[managed]\nusers =   ; nobody yet\n", 2, "users",
     "empty value (leave the key out to get the default)"},
    {"EmptySocket", "[jitd]\n\n\nsocket=\n", 4, "socket",
     "empty value (leave the key out to get the default)"},
    // durations
    {"DurationWithoutUnit", "[jitd]\nmax_grant = 7\n", 2, "max_grant",
     "duration needs a unit (s, m, h, d, w) after each number"},
    {"DurationTooLong", "[jitd]\nmax_grant = 400d\n", 2, "max_grant",
     "duration longer than 366 days"},
    {"DurationZero", "[jitd]\nclient_timeout = 0s\n", 2, "client_timeout",
     "duration must be positive"},
    {"DurationWithBlank", "[jitd]\nmax_grant = 1h 30m\n", 2, "max_grant",
     "duration must look like 90s, 15m, 2h or 1d"},
    {"DurationNegative", "[jitd]\nclient_timeout = -5s\n", 2, "client_timeout",
     "duration must look like 90s, 15m, 2h or 1d"},
    {"ClientTimeoutTooLong", "[jitd]\nclient_timeout = 5m1s\n", 2, "client_timeout",
     "client_timeout must be at most 5m"},
    {"FrameTimeoutTooLong", "[jitd]\nframe_timeout = 2m\n", 2, "frame_timeout",
     "frame_timeout must be between 1s and 1m"},
    {"MaxConnectionsZero", "[jitd]\nmax_connections = 0\n", 2, "max_connections",
     "max_connections must be a number from 1 to 768"},
    {"MaxPerUidNotANumber", "[jitd]\nmax_connections_per_uid = 8x\n", 2, "max_connections_per_uid",
     "max_connections_per_uid must be a number from 1 to 768"},
    // uid ranges
    {"UidRangeReversed", "[managed]\nuids = 60000-60999, 70000-60000\n", 2, "uids",
     "uid range 70000-60000 is reversed"},
    {"UidOverflow", "[managed]\nuids = 4294967296\n", 2, "uids", "uid 4294967296 is too large"},
    {"UidNoUidSentinel", "[managed]\nuids = 60000-4294967295\n", 2, "uids",
     "uid 4294967295 is too large"},
    {"UidHugeNumber", "[managed]\nuids = 99999999999999999999999\n", 2, "uids",
     "uid 99999999999999999999999 is too large"},
    {"UidNonNumeric", "[managed]\nuids = deploy\n", 2, "uids", "'deploy' is not a uid"},
    {"UidPlusSign", "[managed]\nuids = +5\n", 2, "uids", "'+5' is not a uid"},
    {"UidHexadecimal", "[managed]\nuids = 0x10\n", 2, "uids", "'0x10' is not a uid"},
    {"UidOpenRange", "[managed]\nuids = 60000-\n", 2, "uids",
     "uid range needs a number on both sides of '-'"},
    {"UidLeadingDash", "[managed]\nuids = -5\n", 2, "uids",
     "uid range needs a number on both sides of '-'"},
    {"UidTwoDashes", "[managed]\nuids = 1-2-3\n", 2, "uids", "'2-3' is not a uid"},
    {"UidRangeWithBlanks", "[managed]\nuids = 60000 - 60999\n", 2, "uids",
     "uid range needs a number on both sides of '-'"},
    {"UidZero", "[managed]\nuids = 0\n", 2, "uids", "uid 0 (root) cannot be managed"},
    {"UidRangeFromZero", "[managed]\nuids = 0-999\n", 2, "uids", "uid 0 (root) cannot be managed"},
    // paths
    {"RelativeSocket", "[jitd]\nsocket = run/jitd.sock\n", 2, "socket", "must be an absolute path"},
    {"TildeStateDir", "[jitd]\nstate_dir = ~/jit\n", 2, "state_dir", "must be an absolute path"},
    {"DotDotInPath", "[jitd]\nstate_dir = /var/lib/../../etc\n", 2, "state_dir",
     "path must not contain . or .. components"},
    {"DotInPath", "[jitd]\nsocket = /run/./jitd.sock\n", 2, "socket",
     "path must not contain . or .. components"},
    {"TrailingDotDot", "[jitd]\nstate_dir = /var/..\n", 2, "state_dir",
     "path must not contain . or .. components"},
    {"ControlCharacterInPath", "[jitd]\nstate_dir = /var/\x01jit\n", 2, "state_dir",
     "control character in path"},
    {"SocketPathTooLong", "[jitd]\nsocket = " + kLongSocket + "\n", 2, "socket",
     "socket path longer than 107 bytes"},
    // names
    {"UppercaseUser", "[managed]\nusers = deploy, Backup\n", 2, "users",
     "invalid user name 'Backup'"},
    {"UserStartsWithDigit", "[managed]\nusers = 1deploy\n", 2, "users",
     "invalid user name '1deploy'"},
    {"UserWithDollar", "[managed]\nusers = host$\n", 2, "users", "invalid user name 'host$'"},
    {"UserTooLong", "[managed]\nusers = " + kLongName + "\n", 2, "users",
     "invalid user name '" + kLongName + "'"},
    {"UserWithAt", "[managed]\nusers = dep@loy\n", 2, "users", "invalid user name 'dep@loy'"},
    {"UserRoot", "[managed]\nusers = deploy root\n", 2, "users", "root cannot be managed"},
    {"HashIsNotInlineComment", "[managed]\nusers = deploy # old\n", 2, "users",
     "invalid user name '#'"},
    {"SemicolonNeedsBlankToComment", "[managed]\nusers = deploy;backup\n", 2, "users",
     "invalid user name 'deploy;backup'"},
    {"InvalidGroup", "[managed]\ngroups = jit_Managed\n", 2, "groups",
     "invalid group name 'jit_Managed'"},
    {"GroupStartsWithDash", "[managed]\ngroups = -x\n", 2, "groups", "invalid group name '-x'"},
    {"InvalidAdminGroup", "[jitd]\nadmin_group = Admins\n", 2, "admin_group",
     "invalid group name 'Admins'"},
    {"AdminGroupIsOneName", "[jitd]\nadmin_group = a, b\n", 2, "admin_group",
     "invalid group name 'a, b'"},
    // lists
    {"DoubleComma", "[managed]\nusers = deploy,,backup\n", 2, "users", "empty entry in list"},
    {"LeadingComma", "[managed]\nusers = , deploy\n", 2, "users", "empty entry in list"},
    {"TrailingComma", "[managed]\ngroups = jit-managed,\n", 2, "groups", "empty entry in list"},
    {"OnlyComma", "[managed]\nuids = ,\n", 2, "uids", "empty entry in list"},
    // syntax
    {"UnclosedSection", "# c\n[jitd\nsocket = /a\n", 2, "", "syntax error"},
    {"KeyWithoutValue", "[jitd]\nsocket\n", 2, "", "syntax error"},
    {"ContinuationLineRejected", "[managed]\nusers = deploy\n  backup\n", 3, "", "syntax error"},
    {"CommentedSectionEnd", "[jitd ;x]\n", 1, "", "syntax error"},
    {"GarbageLine", "[jitd]\nsocket = /a\n\n\n!!!\n", 5, "", "syntax error"},
    // over-long lines and bytes inih cannot see
    {"OverlongComment", "[jitd]\n" + kTooLongLine + "\nsocket = /a\n", 2, "",
     "line longer than 4096 bytes"},
    {"OverlongValue", "[jitd]\nsocket = /" + std::string(5000, 'a') + "\n", 2, "",
     "line longer than 4096 bytes"},
    {"OverlongLastLineWithoutNewline", "[jitd]\n\n" + std::string(4097, ';'), 3, "",
     "line longer than 4096 bytes"},
    {"OverlongCrLfLine", "[jitd]\r\n" + kTooLongLine + "\r\n", 2, "",
     "line longer than 4096 bytes"},
    {"NulByte", "[jitd]\nsocket = /a\0b\n"s, 2, "", "NUL byte in line"},
    // the first error wins, whichever kind it is
    {"BadValueBeforeUnknownKey", "[jitd]\nsocket = rel\nbogus = 1\n", 2, "socket",
     "must be an absolute path"},
    {"SyntaxBeforeBadValue", "[jitd]\nnonsense\nsocket = rel\n", 2, "", "syntax error"},
    {"BadValueBeforeSyntax", "[jitd]\nsocket = rel\nnonsense\n", 2, "socket",
     "must be an absolute path"},
    {"BadValueBeforeLongLine", "[jitd]\nsocket = rel\n" + kTooLongLine + "\n", 2, "socket",
     "must be an absolute path"},
    {"SyntaxBeforeLongLine", "[jitd\n" + kTooLongLine + "\n", 1, "", "syntax error"},
    {"UnknownSectionBeforeSyntax", "[nope]\n[jitd\n", 1, "", "unknown section [nope]"},
    // line numbers with CRLF endings and a byte order mark
    {"CrLfLineNumbers", "[jitd]\r\n\r\n; x\r\nmax_grant = 0d\r\n", 4, "max_grant",
     "duration must be positive"},
    {"BomLineNumbers", "\xEF\xBB\xBF[jitd]\nsocket = x\n", 2, "socket", "must be an absolute path"},
    {"BomThenUnknownSection", "\xEF\xBB\xBF[x]\n", 1, "", "unknown section [x]"},
};

INSTANTIATE_TEST_SUITE_P(Errors, ConfigErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                             return info.param.name;
                         });

void expect_defaults(const Config& c) {
    EXPECT_EQ(c.socket_path, "/run/jit/jitd.sock");
    EXPECT_EQ(c.state_dir, "/var/lib/jit");
    EXPECT_EQ(c.admin_group, "");
    EXPECT_EQ(c.max_grant_seconds, 7u * 86400);
    EXPECT_EQ(c.client_timeout_ms, 5000);
    EXPECT_EQ(c.frame_timeout_ms, 1000);
    EXPECT_EQ(c.max_connections, 256u);
    EXPECT_EQ(c.max_connections_per_uid, 32u);
    EXPECT_TRUE(c.managed_users.empty());
    EXPECT_TRUE(c.managed_groups.empty());
    EXPECT_TRUE(c.managed_uids.empty());
}

TEST(ConfigDefaults, EmptyFile) {
    auto r = parse_config("", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    expect_defaults(*r);
}

TEST(ConfigDefaults, CommentsAndEmptySections) {
    auto r = parse_config("# nothing\n; here\n\n[jitd]\n[managed]\n", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    expect_defaults(*r);
}

TEST(ConfigDefaults, ManagedSectionAbsentLeavesJitdValuesAndManagesNobody) {
    auto r = parse_config("[jitd]\nmax_grant = 2h\n", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->max_grant_seconds, 7200u);
    EXPECT_EQ(r->socket_path, "/run/jit/jitd.sock");
    EXPECT_TRUE(r->managed_users.empty());
    EXPECT_TRUE(r->managed_groups.empty());
    EXPECT_TRUE(r->managed_uids.empty());
}

TEST(ConfigDefaults, JitdSectionAbsentKeepsDaemonDefaults) {
    auto r = parse_config("[managed]\nusers = deploy\n", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->socket_path, "/run/jit/jitd.sock");
    EXPECT_EQ(r->state_dir, "/var/lib/jit");
    EXPECT_EQ(r->admin_group, "");
    EXPECT_EQ(r->max_grant_seconds, 7u * 86400);
    EXPECT_EQ(r->client_timeout_ms, 5000);
    EXPECT_EQ(r->managed_users, std::vector<std::string>{"deploy"});
}

TEST(ConfigValid, FullExample) {
    const std::string text =
        "[jitd]\n"
        "socket = /run/jit/other.sock\n"
        "state_dir = /srv/jit\n"
        "admin_group = jit-admins        ; members may grant/revoke\n"
        "max_grant = 1d12h\n"
        "client_timeout = 2s\n"
        "[managed]\n"
        "users = deploy, backup\tci_runner.1,x-y\n"
        "groups = jit-managed\n"
        "uids = 60000-60999, 70000,1-1 4294967294\n";
    auto r = parse_config(text, "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->socket_path, "/run/jit/other.sock");
    EXPECT_EQ(r->state_dir, "/srv/jit");
    EXPECT_EQ(r->admin_group, "jit-admins");
    EXPECT_EQ(r->max_grant_seconds, 36u * 3600);
    EXPECT_EQ(r->client_timeout_ms, 2000);
    EXPECT_EQ(r->managed_users,
              (std::vector<std::string>{"deploy", "backup", "ci_runner.1", "x-y"}));
    EXPECT_EQ(r->managed_groups, std::vector<std::string>{"jit-managed"});
    ASSERT_EQ(r->managed_uids.size(), 4u);
    EXPECT_EQ(r->managed_uids[0].first, 60000u);
    EXPECT_EQ(r->managed_uids[0].last, 60999u);
    EXPECT_EQ(r->managed_uids[1].first, 70000u);
    EXPECT_EQ(r->managed_uids[1].last, 70000u);
    EXPECT_EQ(r->managed_uids[2].first, 1u);
    EXPECT_EQ(r->managed_uids[2].last, 1u);
    EXPECT_EQ(r->managed_uids[3].first, 4294967294u);
    EXPECT_EQ(r->managed_uids[3].last, 4294967294u);
}

TEST(ConfigValid, SyntaxVariantsInihAccepts) {
    // CRLF, a BOM, "key: value", indented keys (not continuations) and the
    // longest line we promise to take.
    const std::string longest = "# " + std::string(4094, 'x');
    const std::string text =
        "\xEF\xBB\xBF[jitd]\r\n"
        "socket: /run/a.sock\r\n"
        "  state_dir = /srv/jit\r\n" +
        longest + "\r\n" + longest + "\n" + "max_grant=90m";
    auto r = parse_config(text, "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->socket_path, "/run/a.sock");
    EXPECT_EQ(r->state_dir, "/srv/jit");
    EXPECT_EQ(r->max_grant_seconds, 5400u);
}

TEST(ConfigValid, LongValueIsNotTruncated) {
    // inih's stock limit is 200 bytes per line; a list longer than that must
    // arrive whole.
    std::string users;
    std::vector<std::string> expected;
    for (int i = 0; i < 300; ++i) {
        expected.push_back("svc" + std::to_string(i));
        users += (i ? ", " : "") + expected.back();
    }
    ASSERT_GT(users.size(), 2000u);
    auto r = parse_config("[managed]\nusers = " + users + "\n", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->managed_users, expected);
}

TEST(ConfigValid, SocketPathAtTheLimit) {
    const std::string path = "/run/" + std::string(102, 's');  // 107 bytes
    auto r = parse_config("[jitd]\nsocket = " + path + "\n", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->socket_path, path);
}

TEST(ConfigValid, LeavesInihGlobalsAsItFoundThem) {
    const int max_line = ini_max_line;
    const bool multiline = ini_allow_multiline;
    const bool stop = ini_stop_on_first_error;
    ASSERT_TRUE(parse_config("[jitd]\nsocket = /a\n", "t.conf").ok());
    ASSERT_FALSE(parse_config("[jitd]\nsocket = a\n", "t.conf").ok());
    EXPECT_EQ(ini_max_line, max_line);
    EXPECT_EQ(ini_allow_multiline, multiline);
    EXPECT_EQ(ini_stop_on_first_error, stop);
}

TEST(ConfigErrorFormat, ToString) {
    EXPECT_EQ((config_error("/etc/jit/jitd.conf", 7, "uids", "uid 0 (root) cannot be managed")
                   .to_string()),
              "/etc/jit/jitd.conf:7: uids: uid 0 (root) cannot be managed");
    EXPECT_EQ((config_error("a.conf", 3, "", "syntax error").to_string()),
              "a.conf:3: syntax error");
    EXPECT_EQ((config_error("a.conf", 0, "", "No such file or directory").to_string()),
              "a.conf: No such file or directory");
}

TEST(ConfigErrorFormat, ParseErrorRendersFileLineKeyMessage) {
    auto r = parse_config("[jitd]\n\nmax_grant = 1y\n", "/etc/jit/jitd.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(
        r.error().to_string(),
        "/etc/jit/jitd.conf:3: max_grant: duration needs a unit (s, m, h, d, w) after each number");
}

TEST(ConfigLoad, MissingFile) {
    const std::string path = "build/no-such-dir/jitd.conf";
    auto r = load_config(path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().place.file, path);
    EXPECT_EQ(r.error().place.line, 0);
    EXPECT_EQ(r.error().place.key, "");
    EXPECT_EQ(r.error().message, strerror(ENOENT));
}

TEST(ConfigLoad, DirectoryIsNotAConfigFile) {
    auto r = load_config("/");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().place.line, 0);
    EXPECT_EQ(r.error().message, "not a regular file");
}

TEST(ConfigLoad, ErrorFromFileNamesThePath) {
    const std::string path = ::testing::TempDir() + "jitd-config-test.conf";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << "[jitd]\n# one\n# two\nclient_timeout = 1h\n";
    }
    auto r = load_config(path);
    ::unlink(path.c_str());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().to_string(),
              path + ":4: client_timeout: client_timeout must be at most 5m");
}

std::string read_text(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(ShippedConfig, ManagesWhatThePamProfilesManageAndOtherwiseKeepsTheDefaults) {
    // The shipped file names the two groups that sysusers.d/jit.conf creates
    // empty and the uid range of jit's NSS accounts, as the pam-auth-update
    // profiles do; everything else is the built-in default.
    auto r = load_config(kShippedConfig);
    ASSERT_TRUE(r.ok()) << r.error().to_string() << " (tests must run from the repository root)";
    EXPECT_EQ(r->admin_group, "jit-admins");
    EXPECT_EQ(r->managed_groups, std::vector<std::string>{"jit-managed"});
    ASSERT_EQ(r->managed_uids.size(), 1u);
    EXPECT_EQ(r->managed_uids[0].first, 60500u);
    EXPECT_EQ(r->managed_uids[0].last, 60999u);
    Config c = *r;
    c.admin_group.clear();
    c.managed_groups.clear();
    c.managed_uids.clear();
    expect_defaults(c);
}

TEST(ShippedConfig, ManagesWhatThePamProfilesName) {
    // pam_jit.so decides locally whom it manages, jitd from this file: an
    // account only one of them manages is refused, or never restricted.
    for (const char* profile : {"conf/pam-configs/jit", "conf/pam-configs/jit-session"}) {
        const std::string text = read_text(profile);
        EXPECT_NE(text.find("pam_jit.so managed_groups=jit-managed managed_uids=60500-60999\n"),
                  std::string::npos)
            << profile;
    }
}

TEST(ShippedConfig, EveryCommentedExampleIsValid) {
    // Uncommenting every "#key = value" line must give a valid file, so the
    // examples an administrator copies are right.
    const std::string text = read_text(kShippedConfig);
    ASSERT_FALSE(text.empty()) << "cannot read " << kShippedConfig;
    std::istringstream lines(text);
    std::string enabled, line;
    while (std::getline(lines, line)) {
        if (line.size() > 1 && line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
            line.find(" = ") != std::string::npos)
            line.erase(0, 1);
        enabled += line + "\n";
    }
    ASSERT_NE(enabled, text) << "no commented examples found";
    auto r = parse_config(enabled, kShippedConfig);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->admin_group, "jit-admins");
    EXPECT_EQ(r->max_grant_seconds, 7u * 86400);
    EXPECT_EQ(r->client_timeout_ms, 5000);
    EXPECT_EQ(r->managed_users, (std::vector<std::string>{"deploy", "backup"}));
    EXPECT_EQ(r->managed_groups, std::vector<std::string>{"jit-managed"});
    ASSERT_EQ(r->managed_uids.size(), 1u);
    EXPECT_EQ(r->managed_uids[0].first, 60500u);
}

TEST(ConfigConnections, LimitsAreRead) {
    auto r = parse_config(
        "[jitd]\nframe_timeout = 3s\nmax_connections = 100\nmax_connections_per_uid = 4\n",
        "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->frame_timeout_ms, 3000);
    EXPECT_EQ(r->max_connections, 100u);
    EXPECT_EQ(r->max_connections_per_uid, 4u);
}

}  // namespace

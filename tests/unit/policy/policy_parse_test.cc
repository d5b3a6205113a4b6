// Policy files: every error class reported with the file, line and key it is
// about; a full rule read into every field; the shipped example stays valid;
// a directory loads all or nothing, refuses files others could write and
// reports the ones they can read.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "daemon/policy/policy.h"

namespace jit::daemon {
namespace {

constexpr const char* kExample = "conf/policy.example.conf";

Result<PolicySet, Failure> parse(const std::string& text) {
    PolicySet set;
    auto r = parse_policy_text(text, "t.conf", PolicyOptions{}, &set);
    if (!r) return r.error();
    return set;
}

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

class PolicyErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PolicyErrorTest, NamesFileLineAndKey) {
    const ErrorCase& c = GetParam();
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.text;
    EXPECT_EQ(r.error().place.file, "t.conf");
    EXPECT_EQ(r.error().place.line, c.line) << r.error().to_string();
    EXPECT_EQ(r.error().place.key, c.key) << r.error().to_string();
    EXPECT_EQ(r.error().message, c.message) << r.error().to_string();
}

// A valid request rule to build broken ones from.
const std::string kOk =
    "[deploy]\naccounts = deploy\nservices = sshd\napproval = auto\nduration = 5m..1h\n";
const std::string kImplicit = "[backup]\naccounts = backup\nservices = sudo\nimplicit = 10m\n";

const ErrorCase kErrors[] = {
    {"KeyOutsideRule", "accounts = deploy\n", 1, "accounts", "key outside a rule section"},
    {"UnknownKey", kOk + "colour = blue\n", 6, "colour", "unknown key (see jit-policy(5))"},
    {"KeyTwice", kOk + "services = sudo\n", 6, "services", "given twice in [deploy]"},
    {"EmptyValue", kOk + "rate =\n", 6, "rate", "empty value"},
    {"BadRuleName", "[bad name]\n", 1, "",
     "invalid rule name [bad name] (letters, digits, '_', '.', '-'; at most 64)"},
    {"RuleTwice", kOk + kOk, 6, "", "rule [deploy] is already defined at t.conf:1"},
    {"SyntaxError", kOk + "this is not ini\n", 6, "", "syntax error"},
    {"MissingAccounts", "[x]\nservices = sshd\napproval = auto\nduration = 1h\n", 1, "accounts",
     "missing: every rule names its accounts"},
    {"MissingServices", "[x]\naccounts = deploy\n", 1, "services",
     "missing: every rule names its services"},
    {"MissingApproval", "[x]\naccounts = deploy\nservices = sshd\nduration = 1h\n", 1, "approval",
     "missing: say auto, or N of @group (or make it implicit)"},
    {"MissingDuration", "[x]\naccounts = deploy\nservices = sshd\napproval = auto\n", 1, "duration",
     "missing: say MIN..MAX, e.g. 5m..2h"},
    {"IncompleteRuleBeforeNextHeader", "[x]\naccounts = deploy\n\n" + kOk, 1, "services",
     "missing: every rule names its services"},
    {"ImplicitWithApproval", kImplicit + "approval = auto\n", 5, "approval",
     "not used by an implicit rule (remove it)"},
    {"ImplicitEscalates", kImplicit + "risk = escalate\n", 5, "risk",
     "an implicit grant cannot wait for approval: say deny or ignore"},
    {"ImplicitOncePerWindowWithoutSchedule",
     "[b]\naccounts = backup\nservices = sudo\nimplicit = 10m, once per window\n", 4, "implicit",
     "a limit per window needs a schedule"},
    {"EscalateAutoWithoutApprovers", kOk + "risk = escalate\n", 6, "risk",
     "escalate on an auto rule needs risk_approval = N of @group"},
    {"RiskApprovalWithoutEscalate", kOk + "risk = deny\nrisk_approval = 1 of @sec\n", 7,
     "risk_approval", "only used with risk = escalate"},
    {"SignalsWithoutRisk", kOk + "risk_signals = burst\n", 6, "risk_signals",
     "has no effect unless risk = escalate or deny"},
    {"BurstWithoutBurstSignal", kOk + "risk = deny\nrisk_signals = new-source\nburst = 3/hour\n", 8,
     "burst", "has no effect when risk_signals leaves out burst"},
    {"RootAccount", "[x]\naccounts = deploy, root\n", 2, "accounts", "root cannot be managed"},
    {"UidZero", "[x]\naccounts = 0-100\n", 2, "accounts", "uid 0 (root) cannot be managed"},
    {"ReversedUids", "[x]\naccounts = 200-100\n", 2, "accounts", "uid range 200-100 is reversed"},
    {"BadGroup", "[x]\naccounts = @Bad\n", 2, "accounts", "invalid group name '@Bad'"},
    {"EmptyListEntry", "[x]\naccounts = a,,b\n", 2, "accounts", "empty entry in list"},
    {"BadService", "[x]\nservices = ss/hd\n", 2, "services", "invalid service name 'ss/hd'"},
    {"ServiceTwice", "[x]\nservices = sshd, sshd\n", 2, "services", "service 'sshd' listed twice"},
    {"HostBitsInFrom", "[x]\nfrom = 10.0.0.1/8\n", 2, "from",
     "'10.0.0.1/8': address has bits set beyond the prefix length"},
    {"HostnameInFrom", "[x]\nfrom = bastion.example\n", 2, "from",
     "'bastion.example': not an IPv4 or IPv6 address"},
    {"BadSchedule", "[x]\nschedule = Mon-Fri 8-20\n", 2, "schedule",
     "'8-20' is not a time range HH:MM-HH:MM (00:00 to 24:00)"},
    {"UnknownZone", "[x]\nschedule = 08:00-20:00 Mars/Base\n", 2, "schedule",
     "unknown time zone 'Mars/Base' (no /usr/share/zoneinfo/Mars/Base)"},
    {"DurationReversed", "[x]\nduration = 2h..5m\n", 2, "duration",
     "minimum is longer than maximum"},
    {"DurationNoUnit", "[x]\nduration = 5..2h\n", 2, "duration",
     "minimum: duration needs a unit (s, m, h, d, w) after each number"},
    {"BadTicketPattern", "[x]\nticket = CHG-(\n", 2, "ticket",
     "bad regular expression: Unmatched ( or \\("},
    // Found by the policy fuzzer: regcomp's memory grows exponentially with
    // stacked or nested repetitions.
    {"StackedRepetitions", "[x]\nticket = a" + std::string(100, '+') + "\n", 2, "ticket",
     "pattern too complex (stacked or nested repetitions)"},
    {"NestedRepetitions", "[x]\nticket = ((a{9}){9}){9}\n", 2, "ticket",
     "pattern too complex (stacked or nested repetitions)"},
    {"TwoStackedRepetitions", "[x]\nticket = CHG-[0-9]+*\n", 2, "ticket",
     "pattern too complex (stacked or nested repetitions)"},
    {"StackedAfterAStrayParen", "[x]\nticket = a)" + std::string(12, '+') + "\n", 2, "ticket",
     "pattern too complex (stacked or nested repetitions)"},
    {"BackReference", "[x]\nticket = (a*)*\\1\n", 2, "ticket",
     "back-references (\\1...) are not supported"},
    {"ZeroApprovers", "[x]\napproval = 0 of @ops\n", 2, "approval",
     "at least 1 approver (or say auto)"},
    {"ApproverNotAGroup", "[x]\napproval = 2 of ops\n", 2, "approval",
     "approvers are groups written @name, not 'ops'"},
    {"ApprovalGibberish", "[x]\napproval = ops\n", 2, "approval",
     "say auto, or N of @group[, @group...]"},
    {"TooManyApprovers", "[x]\napproval = 17 of @ops\n", 2, "approval", "'17' is too large"},
    {"RatePerMonth", "[x]\nrate = 10/month\n", 2, "rate",
     "unknown period 'month' (hour, day or week)"},
    {"PendingTtlTooLong", "[x]\npending_ttl = 8d\n", 2, "pending_ttl", "longer than 7d"},
    {"MaxActiveZero", "[x]\nmax_active = 0\n", 2, "max_active", "must be at least 1"},
    {"ImplicitTwice", "[x]\nimplicit = 10m, twice per window\n", 2, "implicit",
     "'twice' is not a count"},
    {"ImplicitTooLong", "[x]\nimplicit = 2d\n", 2, "implicit", "longer than 1d"},
    {"RiskMaybe", "[x]\nrisk = maybe\n", 2, "risk", "say ignore, escalate or deny"},
    {"UnknownSignal", "[x]\nrisk_signals = moon-phase\n", 2, "risk_signals",
     "unknown signal 'moon-phase' (new-source, unusual-hour, burst, new-workload)"},
    {"RiskApprovalAuto", "[x]\nrisk_approval = auto\n", 2, "risk_approval",
     "'auto' is not allowed here; say N of @group"},
    {"ReasonMaybe", "[x]\nreason = maybe\n", 2, "reason", "say required or optional"},
    {"LineTooLong", "[x]\n# " + std::string(4095, 'x') + "\n", 2, "",
     "line longer than 4096 bytes"},
    {"NulByte", std::string("[x]\naccounts = a\0b\n", 17), 2, "", "NUL byte in line"},
};

INSTANTIATE_TEST_SUITE_P(Policy, PolicyErrorTest, ::testing::ValuesIn(kErrors),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PolicyParse, FullRequestRuleReadsEveryField) {
    auto set = parse(
        "; a comment\n"
        "[deploy-releases]\n"
        "accounts   = deploy, @ci-bots, 60000-60999 ; trailing comment\n"
        "requesters = @ci, 1000-1999\n"
        "services   = sshd, sudo\n"
        "from       = 10.0.0.0/8, 127.0.0.1, local\n"
        "schedule   = Mon-Fri 08:00-20:00 Europe/Berlin\n"
        "duration   = 5m..2h\n"
        "reason     = required\n"
        "ticket     = CHG-[0-9]+\n"
        "approval   = 2 of @release-approvers, @sre\n"
        "pending_ttl = 30m\n"
        "max_active = 1\n"
        "rate       = 10/day\n"
        "risk       = escalate\n"
        "risk_signals = new-source, burst\n"
        "risk_learn = 3\n"
        "burst      = 4/hour\n");
    ASSERT_TRUE(set.ok()) << set.error().to_string();
    ASSERT_EQ(set->rules.size(), 1u);
    const Rule& r = set->rules[0];
    EXPECT_EQ(r.name, "deploy-releases");
    EXPECT_EQ(r.origin(), "t.conf:2");
    EXPECT_EQ(r.accounts.describe(), "deploy, @ci-bots, 60000-60999");
    ASSERT_TRUE(r.requesters.has_value());
    EXPECT_EQ(r.requesters->describe(), "@ci, 1000-1999");
    EXPECT_EQ(r.services, (std::vector<std::string>{"sshd", "sudo"}));
    EXPECT_EQ(r.from.describe(), "local, 10.0.0.0/8, 127.0.0.1/32");
    ASSERT_TRUE(r.schedule.has_value());
    EXPECT_EQ(r.schedule->describe(), "Mon-Fri 08:00-20:00 Europe/Berlin");
    EXPECT_EQ(r.min_duration, 300u);
    EXPECT_EQ(r.max_duration, 7200u);
    EXPECT_TRUE(r.reason_required);
    ASSERT_TRUE(r.ticket.has_value());
    EXPECT_TRUE(r.ticket->matches("CHG-123"));
    EXPECT_FALSE(r.ticket->matches("CHG-123x")) << "the whole ticket must match";
    EXPECT_FALSE(r.ticket->matches("xCHG-1"));
    EXPECT_FALSE(r.ticket->matches(std::string("CHG-1\0x", 7)));
    EXPECT_EQ(r.approval.describe(), "2 of @release-approvers, @sre");
    EXPECT_EQ(r.pending_ttl, 1800);
    EXPECT_EQ(r.max_active, 1u);
    ASSERT_TRUE(r.rate.has_value());
    EXPECT_EQ(r.rate->describe(), "10/day");
    EXPECT_FALSE(r.is_implicit());
    EXPECT_EQ(r.risk, RiskAction::Escalate);
    EXPECT_EQ(r.risk_signals, kNewSource | kBurst);
    EXPECT_EQ(r.risk_learn, 3u);
    EXPECT_EQ(r.burst.describe(), "4/hour");
}

TEST(PolicyParse, ReasonableTicketPatternsCompile) {
    for (const char* p : {"CHG-[0-9]+", "[A-Z]{2,4}-[0-9]{1,6}", "(INC|CHG)-[[:digit:]]{4,8}",
                          "((ab){2}){3}", "[]a-z]+|x*", "a\\+b", ".{0,200}"}) {
        auto set = parse(kOk + "ticket = " + p + "\n");
        EXPECT_TRUE(set.ok()) << p << ": " << set.error().to_string();
    }
}

TEST(PolicyParse, ImplicitRuleAndDefaults) {
    auto set = parse(
        "[backup-nightly]\naccounts = backup\nservices = sudo\nfrom = local\n"
        "schedule = 02:00-03:00 Europe/Berlin\nimplicit = 10m, once per window\nrisk = deny\n"
        "[ops]\naccounts = deploy\nservices = sshd\napproval = 1 of @ops\nduration = 1h\n");
    ASSERT_TRUE(set.ok()) << set.error().to_string();
    ASSERT_EQ(set->rules.size(), 2u);
    const Rule& b = set->rules[0];
    EXPECT_TRUE(b.is_implicit());
    EXPECT_EQ(*b.implicit, 600u);
    EXPECT_EQ(b.implicit_per_window, 1u);
    EXPECT_EQ(b.risk, RiskAction::Deny);
    EXPECT_EQ(b.risk_signals, kAllSignals);
    const Rule& o = set->rules[1];
    EXPECT_EQ(o.min_duration, 1u);
    EXPECT_EQ(o.max_duration, 3600u);
    EXPECT_EQ(o.pending_ttl, 3600) << "default pending_ttl is 1h";
    EXPECT_TRUE(o.reason_required) << "a reason is required unless a rule says otherwise";
    EXPECT_FALSE(o.requesters.has_value());
    EXPECT_TRUE(o.from.any());
    EXPECT_EQ(set->find("ops"), &set->rules[1]);
    EXPECT_EQ(set->find("nope"), nullptr);
}

TEST(PolicyParse, SourcesAdmitOnlyWhatTheyName) {
    auto set = parse(kOk + "from = 10.0.0.0/8, local\n");
    ASSERT_TRUE(set.ok());
    const SourceSet& from = set->rules[0].from;
    EXPECT_TRUE(from.admits_rhost("10.1.2.3"));
    EXPECT_TRUE(from.admits_rhost("::ffff:10.1.2.3"));
    EXPECT_TRUE(from.admits_rhost(""));
    EXPECT_TRUE(from.admits_rhost("127.0.0.1"));
    EXPECT_TRUE(from.admits_rhost("localhost"));
    EXPECT_FALSE(from.admits_rhost("192.0.2.1"));
    EXPECT_FALSE(from.admits_rhost("bastion.example"));
    EXPECT_TRUE(from.admits_grant_source("10.2.0.0/16"));
    EXPECT_TRUE(from.admits_grant_source("local"));
    EXPECT_FALSE(from.admits_grant_source("")) << "any source is wider than the rule";
    EXPECT_FALSE(from.admits_grant_source("0.0.0.0/0"));
    EXPECT_FALSE(from.admits_grant_source("not-a-cidr"));
}

TEST(PolicyParse, ShippedExampleIsValid) {
    std::ifstream in(kExample);
    ASSERT_TRUE(in) << kExample << " (tests run from the repository root)";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    PolicySet set;
    auto r = parse_policy_text(text, kExample, PolicyOptions{}, &set);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_GE(set.rules.size(), 3u);
}

class PolicyDir : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jit-policy-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        chmod(dir_.c_str(), 0755);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& name, const std::string& text, mode_t mode = 0644) {
        std::string path = dir_ + "/" + name;
        std::ofstream(path) << text;
        chmod(path.c_str(), mode);
    }
    std::string dir_;
};

TEST_F(PolicyDir, ReadsConfFilesInNameOrder) {
    write("20-b.conf", "[b]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n");
    write("10-a.conf", "[a]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n");
    write(".hidden.conf", "garbage");
    write("notes.txt", "garbage");
    write("c.conf.dpkg-old", "garbage");
    auto set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_TRUE(set.ok()) << set.error().to_string();
    ASSERT_EQ(set->rules.size(), 2u);
    EXPECT_EQ(set->rules[0].name, "a");
    EXPECT_EQ(set->rules[1].name, "b");
    EXPECT_EQ(set->files.size(), 2u);
    EXPECT_EQ(set->rules[1].origin(), dir_ + "/20-b.conf:1");
}

TEST_F(PolicyDir, OneBadFileFailsTheWholeSet) {
    write("10-a.conf", "[a]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n");
    write("20-b.conf", "[b]\naccounts = deploy\nservices = sshd\nimplicit = forever\n");
    auto set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().to_string(),
              dir_ + "/20-b.conf:4: implicit: duration must look like 90s, 15m, 2h or 1d");
}

TEST_F(PolicyDir, RuleNamesAreUniqueAcrossFiles) {
    write("10-a.conf", "[a]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n");
    write("20-b.conf", "\n[a]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n");
    auto set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().to_string(),
              dir_ + "/20-b.conf:2: rule [a] is already defined at " + dir_ + "/10-a.conf:1");
}

TEST_F(PolicyDir, RefusesFilesOthersCanWrite) {
    write("10-a.conf", "[a]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n", 0666);
    auto set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().to_string(),
              dir_ + "/10-a.conf: must not be writable by group or others");
    chmod((dir_ + "/10-a.conf").c_str(), 0644);
    chmod(dir_.c_str(), 0777);
    set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().message, "the directory must not be writable by group or others");
}

// Readable is loaded but reported: the directory when others may list or
// enter it, a file when they may read it in a directory they can enter.
TEST_F(PolicyDir, ReportsWhatOthersCanRead) {
    const std::string rule = "[a]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n";
    write("10-a.conf", rule, 0644);
    write("20-b.conf", "[b]\naccounts = deploy\nservices = sshd\nimplicit = 1m\n", 0640);
    auto set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_TRUE(set.ok()) << set.error().to_string();
    ASSERT_EQ(set->exposed.size(), 2u);
    EXPECT_EQ(set->exposed[0].path, dir_);
    EXPECT_EQ(set->exposed[0].mode, 0755u);
    EXPECT_EQ(set->exposed[1].path, dir_ + "/10-a.conf");
    EXPECT_EQ(set->exposed[1].mode, 0644u);
    chmod(dir_.c_str(), 0750);  // closed: its files are out of reach
    set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(set->rules.size(), 2u);
    EXPECT_TRUE(set->exposed.empty());
    chmod(dir_.c_str(), 0751);  // enterable, not listable: files by name
    set = load_policy_dir(dir_, PolicyOptions{});
    ASSERT_TRUE(set.ok());
    ASSERT_EQ(set->exposed.size(), 2u);
    EXPECT_EQ(set->exposed[0].mode, 0751u);
    EXPECT_EQ(set->exposed[1].path, dir_ + "/10-a.conf");
}

TEST_F(PolicyDir, MissingDirectoryIsAnEmptyPolicy) {
    auto set = load_policy_dir(dir_ + "/nope", PolicyOptions{});
    ASSERT_TRUE(set.ok());
    EXPECT_TRUE(set->rules.empty());
    write("file", "x");
    EXPECT_FALSE(load_policy_dir(dir_ + "/file", PolicyOptions{}).ok());
}

}  // namespace
}  // namespace jit::daemon

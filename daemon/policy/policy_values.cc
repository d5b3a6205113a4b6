#include "daemon/policy/policy_values.h"

#include <algorithm>
#include <cctype>

#include "daemon/base/ids.h"
#include "daemon/config/ini_file.h"
#include "daemon/policy/command_scope.h"
#include "jit/values.h"
#include "jit/timefmt.h"

namespace jit::daemon::policy_values {

namespace {

constexpr uint64_t kMaxUid = 0xfffffffeull;  // (uid_t)-1 is "no uid"
constexpr size_t kMaxPattern = 256;
constexpr uint32_t kMaxApprovers = 16;

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s.substr(0, 80)) + "'";
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

Parsed<uint64_t> number(std::string_view s, uint64_t max, const char* what) {
    if (s.empty() || s.size() > 10) return quoted(s) + " is not " + what;
    uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return quoted(s) + " is not " + what;
        n = n * 10 + uint64_t(c - '0');
    }
    if (n > max) return quoted(s) + " is too large";
    return n;
}

Parsed<UidRange> uid_range(std::string_view item, bool allow_root) {
    size_t dash = item.find('-');
    auto lo = number(item.substr(0, dash), kMaxUid, "a uid");
    if (!lo) return lo.error();
    auto hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1), kMaxUid, "a uid");
    if (!hi) return hi.error();
    if (*lo > *hi) return "uid range " + std::string(item) + " is reversed";
    if (*lo == 0 && !allow_root) return std::string("uid 0 (root) cannot be managed");
    return UidRange{uid_t(*lo), uid_t(*hi)};
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// How big glibc's compiled form of an extended regular expression can get,
// roughly: each atom counts 1, and a repetition multiplies what it applies
// to (regcomp copies the subtree for "+" and for each count of "{m,n}").
// Stacked or nested repetitions ("a+++...", "((a{9}){9}){9}") grow it, and
// the automaton built from it, exponentially until memory runs out (found
// by the policy fuzzer).  Stacked repetitions ("a+*", "a{2}+") say nothing
// a single one cannot and are refused outright; otherwise the estimate must
// stay within kLimit, far above what a ticket pattern needs ("CHG-[0-9]{4}"
// is 5).  The walk is tolerant: malformed syntax is left for regcomp.
class PatternCost {
public:
    static constexpr uint64_t kLimit = 256;
    explicit PatternCost(std::string_view p) : p_(p) {}
    uint64_t total() {
        uint64_t c = alternatives();
        while (pos_ < p_.size()) {  // a stray ')'
            ++pos_;
            c = add(c, alternatives());
        }
        return stacked_ ? kLimit + 1 : c;
    }

private:
    static uint64_t add(uint64_t a, uint64_t b) { return std::min(a + b, kLimit * 1000); }
    static uint64_t mul(uint64_t a, uint64_t b) { return std::min(a * b, kLimit * 1000); }

    uint64_t alternatives() {
        uint64_t c = sequence();
        while (pos_ < p_.size() && p_[pos_] == '|') {
            ++pos_;
            c = add(c, sequence());
        }
        return c;
    }
    uint64_t sequence() {
        uint64_t total = 0;
        while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
            uint64_t item = atom();
            for (int n = 0; pos_ < p_.size(); ++n) {
                uint64_t f = repetition();
                if (f == 0) break;
                if (n > 0) stacked_ = true;
                item = mul(item, f);
            }
            total = add(total, item);
        }
        return total;
    }
    uint64_t atom() {
        char c = p_[pos_++];
        if (c == '(') {
            uint64_t inner = alternatives();
            if (pos_ < p_.size() && p_[pos_] == ')') ++pos_;
            return std::max<uint64_t>(inner, 1);
        }
        if (c == '\\' && pos_ < p_.size()) ++pos_;
        if (c == '[') skip_bracket();
        return 1;
    }
    void skip_bracket() {
        if (pos_ < p_.size() && p_[pos_] == '^') ++pos_;
        if (pos_ < p_.size() && p_[pos_] == ']') ++pos_;
        while (pos_ < p_.size() && p_[pos_] != ']') {
            if (p_[pos_] == '[' && pos_ + 1 < p_.size() &&
                (p_[pos_ + 1] == ':' || p_[pos_ + 1] == '.' || p_[pos_ + 1] == '=')) {
                size_t end = p_.find(std::string{p_[pos_ + 1], ']'}, pos_ + 2);
                pos_ = end == std::string_view::npos ? p_.size() : end + 2;
                continue;
            }
            ++pos_;
        }
        if (pos_ < p_.size()) ++pos_;
    }
    // The factor of a repetition operator at pos_ (consumed), or 0.
    uint64_t repetition() {
        char c = p_[pos_];
        if (c == '*' || c == '+' || c == '?') {
            ++pos_;
            return 2;
        }
        if (c != '{') return 0;
        size_t end = p_.find('}', pos_);
        if (end == std::string_view::npos) return 0;
        uint64_t biggest = 0, n = 0;
        for (size_t i = pos_ + 1; i < end; ++i) {
            if (is_digit(p_[i])) n = std::min<uint64_t>(n * 10 + uint64_t(p_[i] - '0'), kLimit);
            if (p_[i] == ',') biggest = std::max(biggest, n), n = 0;
        }
        biggest = std::max(biggest, n);
        pos_ = end + 1;
        return biggest + 1;
    }

    std::string_view p_;
    size_t pos_ = 0;
    bool stacked_ = false;
};

}  // namespace

Parsed<AccountSet> accounts(std::string_view v, bool allow_root) {
    auto items = split_list(v);
    if (!items) return items.error();
    AccountSet set;
    for (std::string_view item : *items) {
        if (item[0] == '@') {
            if (!valid_user_name(item.substr(1))) return "invalid group name " + quoted(item);
            set.groups.emplace_back(item.substr(1));
        } else if (is_digit(item[0])) {
            auto r = uid_range(item, allow_root);
            if (!r) return r.error();
            set.uids.push_back(*r);
        } else {
            if (!valid_user_name(item)) return "invalid account name " + quoted(item);
            if (item == "root" && !allow_root) return std::string("root cannot be managed");
            set.users.emplace_back(item);
        }
    }
    return set;
}

Parsed<std::vector<std::string>> services(std::string_view v) {
    auto items = split_list(v);
    if (!items) return items.error();
    std::vector<std::string> out;
    for (std::string_view item : *items) {
        if (!valid_service_name(item)) return "invalid service name " + quoted(item);
        if (std::find(out.begin(), out.end(), item) != out.end())
            return "service " + quoted(item) + " listed twice";
        out.emplace_back(item);
    }
    if (out.size() > proto::kMaxServices) return std::string("more than 16 services");
    return out;
}

Parsed<std::vector<std::string>> commands(std::string_view v) {
    // Split on commas only: the blanks inside an entry separate its words.
    std::vector<std::string_view> items;
    for (size_t pos = 0;;) {
        size_t comma = v.find(',', pos);
        std::string_view item =
            v.substr(pos, comma == std::string_view::npos ? v.npos : comma - pos);
        if (item.find_first_not_of(" \t") == std::string_view::npos)
            return std::string("empty entry in list");
        items.push_back(item);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    std::vector<std::string> out;
    for (std::string_view item : items) {
        auto p = parse_command_pattern(item);
        if (!p) return "command " + quoted(trim(item)) + ": " + p.error();
        if (std::find(out.begin(), out.end(), p->text) == out.end()) out.push_back(p->text);
    }
    if (out.size() > proto::kMaxCommandScopes) return std::string("more than 16 commands");
    return out;
}

Parsed<std::vector<std::string>> runas(std::string_view v) {
    auto items = split_list(v);
    if (!items) return items.error();
    std::vector<std::string> out;
    for (std::string_view item : *items) {
        if (auto bad = runas_problem(item); !bad.empty()) return bad;
        out.emplace_back(item);
    }
    if (out.size() > proto::kMaxRunasScopes) return std::string("more than 16 runas accounts");
    return out;
}

Parsed<SourceSet> sources(std::string_view v) {
    auto items = split_list(v);
    if (!items) return items.error();
    SourceSet set;
    for (std::string_view item : *items) {
        if (item == "local") {
            set.local = true;
            continue;
        }
        auto cidr = Cidr::parse(item);
        if (!cidr) return quoted(item) + ": " + cidr.error().what;
        set.networks.push_back(*cidr);
    }
    return set;
}

Parsed<uint64_t> duration(std::string_view v, uint64_t max_seconds) {
    auto d = parse_duration(trim(v));
    if (!d) return std::string(d.error().what);
    if (*d > max_seconds) return "longer than " + format_duration(int64_t(max_seconds));
    return *d;
}

Parsed<std::pair<uint64_t, uint64_t>> duration_range(std::string_view v) {
    size_t dots = v.find("..");
    constexpr uint64_t kYear = 366 * 86400;
    if (dots == std::string_view::npos) {
        auto max = duration(v, kYear);
        if (!max) return max.error();
        return std::pair<uint64_t, uint64_t>(1, *max);
    }
    auto min = duration(v.substr(0, dots), kYear);
    if (!min) return "minimum: " + min.error();
    auto max = duration(v.substr(dots + 2), kYear);
    if (!max) return "maximum: " + max.error();
    if (*min > *max) return std::string("minimum is longer than maximum");
    return std::pair<uint64_t, uint64_t>(*min, *max);
}

Parsed<ApproverSpec> approvers(std::string_view v, bool allow_auto) {
    v = trim(v);
    if (v == "auto") {
        if (allow_auto) return ApproverSpec{};
        return std::string("'auto' is not allowed here; say N of @group");
    }
    size_t space = v.find_first_of(" \t");
    std::string_view rest = trim(v.substr(space == std::string_view::npos ? v.size() : space));
    if (rest.substr(0, 3) != "of " && rest.substr(0, 3) != "of\t")
        return std::string(allow_auto ? "say auto, or N of @group[, @group...]"
                                      : "say N of @group[, @group...]");
    auto n = number(v.substr(0, space), kMaxApprovers, "a number of approvers");
    if (!n) return n.error();
    if (*n == 0) return std::string("at least 1 approver (or say auto)");
    auto items = split_list(rest.substr(3));
    if (!items) return items.error();
    ApproverSpec spec;
    spec.required = uint32_t(*n);
    for (std::string_view item : *items) {
        if (item[0] != '@' || !valid_user_name(item.substr(1)))
            return "approvers are groups written @name, not " + quoted(item);
        spec.groups.emplace_back(item.substr(1));
    }
    if (spec.groups.size() > kMaxApprovers) return std::string("more than 16 approver groups");
    return spec;
}

Parsed<RateLimit> rate(std::string_view v) {
    v = trim(v);
    size_t slash = v.find('/');
    if (slash == std::string_view::npos) return std::string("say N/hour, N/day or N/week");
    auto n = number(trim(v.substr(0, slash)), 1000000, "a count");
    if (!n) return n.error();
    if (*n == 0) return std::string("the count must be at least 1");
    std::string_view unit = trim(v.substr(slash + 1));
    int64_t period = unit == "hour" ? 3600 : unit == "day" ? 86400 : unit == "week" ? 604800 : 0;
    if (period == 0) return "unknown period " + quoted(unit) + " (hour, day or week)";
    return RateLimit{uint32_t(*n), period};
}

Parsed<uint32_t> count(std::string_view v, uint32_t min, uint32_t max) {
    auto n = number(trim(v), max, "a number");
    if (!n) return n.error();
    if (*n < min) return "must be at least " + std::to_string(min);
    return uint32_t(*n);
}

Parsed<TicketPattern> ticket(std::string_view v) {
    v = trim(v);
    if (v.size() > kMaxPattern) return std::string("pattern longer than 256 bytes");
    for (size_t i = 0; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && is_digit(v[i + 1]))
            return std::string("back-references (\\1...) are not supported");
        if (v[i] == '\\') ++i;
    }
    if (PatternCost(v).total() > PatternCost::kLimit)
        return std::string("pattern too complex (stacked or nested repetitions)");
    std::string anchored = "^(" + std::string(v) + ")$";
    auto* re = new regex_t;
    int rc = regcomp(re, anchored.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char buf[256];
        regerror(rc, re, buf, sizeof buf);
        delete re;
        return "bad regular expression: " + std::string(buf);
    }
    std::shared_ptr<const regex_t> owned(re, [](const regex_t* r) {
        regfree(const_cast<regex_t*>(r));
        delete r;
    });
    return TicketPattern{std::string(v), std::move(owned)};
}

Parsed<std::pair<uint64_t, uint32_t>> implicit(std::string_view v) {
    size_t comma = v.find(',');
    auto d = duration(v.substr(0, comma), 86400);
    if (!d) return d.error();
    if (comma == std::string_view::npos) return std::pair<uint64_t, uint32_t>(*d, 0);
    auto words = split_list(v.substr(comma + 1));
    if (!words || words->size() != 3 || (*words)[1] != "per" || (*words)[2] != "window")
        return std::string("say DURATION, once per window (or N per window)");
    if ((*words)[0] == "once") return std::pair<uint64_t, uint32_t>(*d, 1);
    auto n = number((*words)[0], 1000, "a count");
    if (!n) return n.error();
    if (*n == 0) return std::string("the count must be at least 1");
    return std::pair<uint64_t, uint32_t>(*d, uint32_t(*n));
}

Parsed<RiskAction> risk(std::string_view v) {
    v = trim(v);
    if (v == "ignore") return RiskAction::Ignore;
    if (v == "escalate") return RiskAction::Escalate;
    if (v == "deny") return RiskAction::Deny;
    return std::string("say ignore, escalate or deny");
}

Parsed<uint8_t> signals(std::string_view v) {
    auto items = split_list(v);
    if (!items) return items.error();
    uint8_t out = 0;
    for (std::string_view item : *items) {
        bool known = false;
        for (RiskSignal s : {kNewSource, kUnusualHour, kBurst, kNewWorkload})
            if (item == signal_name(s)) out |= s, known = true;
        if (!known)
            return "unknown signal " + quoted(item) +
                   " (new-source, unusual-hour, burst, new-workload)";
    }
    return out;
}

Parsed<bool> reason(std::string_view v) {
    v = trim(v);
    if (v == "required") return true;
    if (v == "optional") return false;
    return std::string("say required or optional");
}

namespace {

bool valid_claim_name(std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
            c != ':')
            return false;
    return true;
}

// Items at commas outside brackets, braces and parentheses.
std::vector<std::string_view> claim_items(std::string_view v) {
    std::vector<std::string_view> items;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (c == '\\' && i + 1 < v.size()) {
            ++i;
            continue;
        }
        if (c == '[' || c == '{' || c == '(') ++depth;
        if ((c == ']' || c == '}' || c == ')') && depth > 0) --depth;
        if (c == ',' && depth == 0) {
            items.push_back(trim(v.substr(start, i - start)));
            start = i + 1;
        }
    }
    items.push_back(trim(v.substr(start)));
    return items;
}

}  // namespace

Parsed<std::vector<ClaimMatch>> claims(std::string_view v) {
    std::vector<ClaimMatch> out;
    for (std::string_view item : claim_items(v)) {
        size_t op = item.find_first_of("=~");
        if (item.empty() || op == std::string_view::npos)
            return "expected name=value or name~pattern, got " + quoted(item);
        ClaimMatch m;
        m.name = std::string(trim(item.substr(0, op)));
        if (!valid_claim_name(m.name)) return "invalid claim name " + quoted(m.name);
        std::string_view value = trim(item.substr(op + 1));
        if (value.empty()) return "claim " + m.name + " has an empty value";
        if (item[op] == '=') {
            m.exact = std::string(value);
        } else {
            auto p = ticket(value);
            if (!p) return "claim " + m.name + ": " + p.error();
            m.pattern = std::move(*p);
        }
        for (const auto& other : out)
            if (other.name == m.name) return "claim " + m.name + " is given twice";
        out.push_back(std::move(m));
    }
    if (out.size() > 32) return std::string("more than 32 claims");
    return out;
}

std::optional<std::string> identity(std::string_view v, std::string* out) {
    v = trim(v);
    if (v.empty() || v.size() > 64) return std::string("an identity.d section name");
    for (char c : v)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return "invalid identity name " + quoted(v) + " ([a-z0-9_-])";
    *out = std::string(v);
    return std::nullopt;
}

}  // namespace jit::daemon::policy_values

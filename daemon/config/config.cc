// jitd.conf reader: the keys, their values and their defaults, on top of the
// INI reader the policy files use too (ini_file.h: exact line numbers, no
// over-long lines, no continuation lines: a value spread over lines is easy
// to break by re-indenting and buys nothing for short lists).
#include "daemon/config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <set>
#include <string_view>

#include "daemon/config/config_audit.h"
#include "daemon/config/config_nss.h"
#include "daemon/base/ids.h"
#include "daemon/config/ini_file.h"
#include "jit/timefmt.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

constexpr uint64_t kMaxClientTimeoutSeconds = 300;
// (uid_t)-1 means "no uid" to setresuid() and friends, so it is never an account.
constexpr uint64_t kMaxUid = 0xfffffffeull;

using Check = Result<void, std::string>;

Check fail(std::string message) {
    return Check(std::move(message));
}

std::string errno_text(int err) {
    char buf[256];
    return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the text
}

// ---- values ----

Check check_path(std::string_view path) {
    if (path.empty() || path[0] != '/') return fail("must be an absolute path");
    for (char c : path)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return fail("control character in path");
    // "." and ".." components make the path mean something other than what it
    // looks like; a root daemon should not be guessing.
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(pos, end - pos);
        if (part == "." || part == "..") return fail("path must not contain . or .. components");
        pos = end + 1;
    }
    return Check();
}

Check set_socket(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    if (v.size() >= sizeof(sockaddr_un::sun_path)) return fail("socket path longer than 107 bytes");
    c.socket_path = v;
    return Check();
}

Check set_state_dir(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    c.state_dir = v;
    return Check();
}

Check set_admin_group(Config& c, std::string_view v) {
    if (!valid_user_name(v)) return fail("invalid group name '" + std::string(v) + "'");
    c.admin_group = v;
    return Check();
}

Check set_max_grant(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    c.max_grant_seconds = *d;
    return Check();
}

Check set_fleet_staleness(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    if (*d == 0 || *d > 86400) return fail("fleet staleness must be between 1s and 1d");
    c.fleet_staleness_seconds = *d;
    return Check();
}

Check set_client_timeout(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    // A client that needs minutes is stuck; a long deadline only lets it pin a
    // daemon worker.
    if (*d > kMaxClientTimeoutSeconds) return fail("client_timeout must be at most 5m");
    c.client_timeout_ms = static_cast<int>(*d * 1000);
    return Check();
}

// A peer that has not sent its request within this holds a slot for nothing.
Check set_frame_timeout(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    if (*d < 1 || *d > 60) return fail("frame_timeout must be between 1s and 1m");
    c.frame_timeout_ms = static_cast<int>(*d * 1000);
    return Check();
}

Check set_count(size_t& out, std::string_view v, size_t most, const char* name) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > most)
        return fail(std::string(name) + " must be a number from 1 to " + std::to_string(most));
    out = n;
    return Check();
}

// Bounded well below the usual 1024-descriptor soft limit of a service.
Check set_max_connections(Config& c, std::string_view v) {
    return set_count(c.max_connections, v, 768, "max_connections");
}

Check set_max_connections_per_uid(Config& c, std::string_view v) {
    return set_count(c.max_connections_per_uid, v, 768, "max_connections_per_uid");
}

Check set_warn_before(Config& c, std::string_view v) {
    if (v == "0" || v == "off") {
        c.warn_before_seconds = 0;
        return Check();
    }
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    if (*d > 86400) return fail("warn_before must be at most 1d");
    c.warn_before_seconds = *d;
    return Check();
}

Check set_kill_grace(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    // A session that ignores SIGTERM must not outlive its grant by long.
    if (*d < 1 || *d > 60) return fail("kill_grace must be between 1s and 1m");
    c.kill_grace_seconds = *d;
    return Check();
}

Check set_names(std::vector<std::string>& out, std::string_view v, const char* kind) {
    auto items = split_list(v);
    if (!items) return fail(items.error());
    for (std::string_view name : *items) {
        if (!valid_user_name(name))
            return fail("invalid " + std::string(kind) + " name '" + std::string(name) + "'");
        // Managing root would let a daemon outage lock out the host.
        if (name == "root") return fail("root cannot be managed");
        out.emplace_back(name);
    }
    return Check();
}

Check set_users(Config& c, std::string_view v) {
    return set_names(c.managed_users, v, "user");
}
Check set_groups(Config& c, std::string_view v) {
    return set_names(c.managed_groups, v, "group");
}

Result<uid_t, std::string> parse_uid(std::string_view s) {
    if (s.empty()) return std::string("uid range needs a number on both sides of '-'");
    uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return "'" + std::string(s) + "' is not a uid";
        n = n * 10 + uint64_t(c - '0');
        if (n > kMaxUid) return "uid " + std::string(s) + " is too large";
    }
    return static_cast<uid_t>(n);
}

Result<UidRange, std::string> parse_uid_range(std::string_view item) {
    size_t dash = item.find('-');
    std::string_view first = item.substr(0, dash);
    std::string_view last = dash == std::string_view::npos ? first : item.substr(dash + 1);
    auto lo = parse_uid(first);
    if (!lo) return lo.error();
    auto hi = parse_uid(last);
    if (!hi) return hi.error();
    if (*lo > *hi) return "uid range " + std::string(item) + " is reversed";
    if (*lo == 0) return std::string("uid 0 (root) cannot be managed");
    return UidRange{*lo, *hi};
}

Check set_uids(Config& c, std::string_view v) {
    auto items = split_list(v);
    if (!items) return fail(items.error());
    for (std::string_view item : *items) {
        auto range = parse_uid_range(item);
        if (!range) return fail(range.error());
        c.managed_uids.push_back(*range);
    }
    return Check();
}

Check set_policy_dir(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    c.policy_dir = v;
    return Check();
}

Check set_identity_dir(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    c.identity_dir = v;
    return Check();
}

Check set_notify_command(Config& c, std::string_view v) {
    Check ok = check_path(v);
    if (!ok) return ok;
    for (char ch : v)
        if (ch == ' ' || ch == '\t')
            return fail("a path, run directly without a shell: no arguments (use a script)");
    c.notify_command = v;
    return Check();
}

Check set_notify_timeout(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    if (*d > kMaxClientTimeoutSeconds) return fail("notify_timeout must be at most 5m");
    c.notify_timeout_ms = static_cast<int>(*d * 1000);
    return Check();
}

Check set_notify_before(Config& c, std::string_view v) {
    Result<uint64_t> d = parse_duration(v);
    if (!d) return fail(d.error().what);
    c.notify_before_seconds = *d;
    return Check();
}

struct KeySpec {
    const char* section;
    const char* key;
    Check (*apply)(Config&, std::string_view);
};

constexpr KeySpec kKeys[] = {
    {"jitd", "socket", set_socket},
    {"jitd", "state_dir", set_state_dir},
    {"jitd", "admin_group", set_admin_group},
    {"jitd", "max_grant", set_max_grant},
    {"jitd", "client_timeout", set_client_timeout},
    {"jitd", "frame_timeout", set_frame_timeout},
    {"jitd", "max_connections", set_max_connections},
    {"jitd", "max_connections_per_uid", set_max_connections_per_uid},
    {"sessions", "warn_before", set_warn_before},
    {"sessions", "kill_grace", set_kill_grace},
    {"jitd", "policy_dir", set_policy_dir},
    {"jitd", "identity_dir", set_identity_dir},
    {"jitd", "notify_command", set_notify_command},
    {"jitd", "notify_timeout", set_notify_timeout},
    {"jitd", "notify_before", set_notify_before},
    {"jitd", "audit", set_audit},
    {"jitd", "audit_durability", set_audit_durability},
    {"jitd", "audit_failure", set_audit_failure},
    {"jitd", "checkpoint_every", set_checkpoint_every},
    {"jitd", "audit_segment_records", set_audit_segment_records},
    {"jitd", "audit_max_disk", set_audit_max_disk},
    {"managed", "users", set_users},
    {"managed", "groups", set_groups},
    {"managed", "uids", set_uids},
    {"nss", "snapshot", set_nss_snapshot},
    {"nss", "uid_range", set_nss_uid_range},
    {"nss", "gid_range", set_nss_gid_range},
    {"nss", "groups", set_nss_groups},
    {"fleet", "max_staleness", set_fleet_staleness},
};

bool known_section(std::string_view name) {
    for (const KeySpec& k : kKeys)
        if (name == k.section) return true;
    return !account_section_name(name).empty();
}

// ---- parsing ----

// jitd.conf's meaning on top of the shared INI reader (ini_file.h): known
// sections and keys only, each key once, no empty values.
class ConfigHandler : public IniHandler {
public:
    Config config;

    std::optional<IniProblem> section(const std::string& name, int) override {
        if (!known_section(name)) return IniProblem{"", "unknown section [" + name + "]"};
        std::string_view account = account_section_name(name);
        if (!account.empty())
            if (Check ok = declare_account(config, account); !ok) return IniProblem{"", ok.error()};
        return std::nullopt;
    }

    std::optional<IniProblem> key(const std::string& section, const std::string& name,
                                  const std::string& value, int) override {
        if (section.empty()) return IniProblem{name, "key outside a section"};
        const KeySpec* spec = nullptr;
        for (const KeySpec& k : kKeys)
            if (section == k.section && name == k.key) spec = &k;
        std::string_view account = account_section_name(section);
        if (!spec && account.empty()) return IniProblem{name, "unknown key in [" + section + "]"};
        if (!seen_.insert(section + "\n" + name).second)
            return IniProblem{name, "key given twice in [" + section + "]"};
        if (value.empty())
            return IniProblem{name, "empty value (leave the key out to get the default)"};
        Check ok =
            spec ? spec->apply(config, value) : set_account_key(config, account, name, value);
        if (!ok) return IniProblem{name, ok.error()};
        return std::nullopt;
    }

private:
    std::set<std::string> seen_;  // "section\nkey"
};

}  // namespace

Result<std::vector<std::string_view>, std::string> config_list(std::string_view v) {
    return split_list(v);
}
Result<UidRange, std::string> config_id_range(std::string_view v) {
    return parse_uid_range(v);
}
ConfigCheck config_path(std::string_view v) {
    return check_path(v);
}

Result<Config, Failure> parse_config(const std::string& text, const std::string& name) {
    ConfigHandler handler;
    if (auto parsed = parse_ini(text, name, handler); !parsed) return parsed.error();
    if (auto ok = check_nss_config(handler.config); !ok)
        return config_error(name, 0, "", ok.error());
    return std::move(handler.config);
}

Result<Config, Failure> load_config(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
        const int e = errno;
        return config_error(path, 0, "", errno_text(e), e);
    }
    auto text = read_ini_file(fd.get(), path);
    if (!text) return text.error();
    return parse_config(*text, path);
}

}  // namespace jit::daemon

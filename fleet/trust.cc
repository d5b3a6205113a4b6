#include "fleet/trust.h"

#include "daemon/base/ids.h"
#include "daemon/config/ini_file.h"
#include "jit/timefmt.h"

namespace jit::fleet {

namespace {

bool valid_token(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    for (char c : s)
        if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Result<unsigned, Failure> parse_permissions(std::string_view v) {
    auto items = daemon::split_list(v);
    if (!items.ok()) return fail(items.error());
    unsigned may = kRequest;
    for (auto w : *items) {
        if (w == "request")
            may |= kRequest;
        else if (w == "approve")
            may |= kApprove;
        else if (w == "grant")
            may |= kGrant;
        else if (w == "revoke")
            may |= kRevoke;
        else
            return fail("unknown permission \"" + std::string(w) +
                        "\" (request, approve, grant, revoke)");
    }
    return may;
}

class FleetIni : public daemon::IniHandler {
public:
    explicit FleetIni(FleetConfig& c) : c_(c) {}
    std::optional<daemon::IniProblem> section(const std::string& name, int) override {
        if (name == "fleet") return std::nullopt;
        if (name.rfind("host ", 0) == 0 && valid_token(name.substr(5))) {
            std::string host = name.substr(5);
            if (c_.trusted.count(host)) return daemon::IniProblem{"", "host " + host + " twice"};
            c_.trusted[host].name = host;
            return std::nullopt;
        }
        if (name.rfind("person ", 0) == 0 && valid_token(name.substr(7))) {
            std::string person = name.substr(7);
            if (c_.people.count(person))
                return daemon::IniProblem{"", "person " + person + " twice"};
            c_.people[person].name = person;
            return std::nullopt;
        }
        return daemon::IniProblem{"",
                                  "unknown section [" + name + "] (fleet, person NAME, host NAME)"};
    }
    std::optional<daemon::IniProblem> key(const std::string& section, const std::string& key,
                                          const std::string& value, int) override {
        std::string err = section == "fleet" ? fleet_key(key, value)
                          : section.rfind("person ", 0) == 0
                              ? person_key(section.substr(7), key, value)
                              : host_key(section.substr(5), key, value);
        if (err.empty()) return std::nullopt;
        return daemon::IniProblem{key, err};
    }

private:
    std::string fleet_key(const std::string& key, const std::string& v);
    std::string host_key(const std::string& host, const std::string& key, const std::string& v);
    std::string person_key(const std::string& person, const std::string& key, const std::string& v);
    FleetConfig& c_;
};

std::string FleetIni::fleet_key(const std::string& key, const std::string& v) {
    if (key == "host") {
        if (!valid_token(v)) return "not a host name";
        c_.host = v;
    } else if (key == "labels") {
        auto l = parse_labels(v);
        if (!l.ok()) return l.error().message;
        c_.labels = *l;
    } else if (key == "key") {
        c_.key_path = v;
    } else if (key == "endpoints") {
        auto items = daemon::split_list(v);
        if (!items.ok()) return items.error();
        for (auto e : *items) {
            if (e.rfind("http://", 0) != 0 && e.rfind("https://", 0) != 0)
                return "endpoint must be http:// or https://";
            c_.endpoints.emplace_back(e);
        }
    } else if (key == "admin_socket") {
        if (v.empty() || v[0] != '/' || v.size() >= 108) return "an absolute socket path";
        c_.admin_socket = v;
    } else if (key == "user") {
        if (!valid_token(v)) return "not an etcd user name (letters, digits, - _ .)";
        c_.user = v;
    } else if (key == "password_file") {
        c_.password_file = v;
    } else if (key == "ca_file") {
        c_.ca_file = v;
    } else if (key == "max_staleness") {
        auto d = parse_duration(v);
        if (!d.ok() || *d == 0) return "not a duration (e.g. 60s, 5m)";
        c_.max_staleness = *d;
    } else if (key == "offline") {
        if (v == "deny")
            c_.offline = Offline::Deny;
        else if (v == "keep")
            c_.offline = Offline::Keep;
        else
            return "deny or keep";
    } else if (key == "approvals") {
        if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(v) == 0)
            return "a number from 1 to 99";
        c_.approvals = unsigned(std::stoul(v));
    } else {
        return "unknown key";
    }
    return "";
}

std::string FleetIni::host_key(const std::string& host, const std::string& key,
                               const std::string& v) {
    TrustedHost& h = c_.trusted[host];
    if (key == "key") {
        auto k = public_key_from_base64(v);
        if (!k.ok()) return k.error().message;
        h.key = std::shared_ptr<EVP_PKEY>(k->release(), EVP_PKEY_free);
    } else if (key == "may") {
        auto m = parse_permissions(v);
        if (!m.ok()) return m.error().message;
        h.may = *m;
    } else if (key == "audit_key") {
        auto k = daemon::audit::VerifierKey::parse(v);
        if (!k) return k.error() + " (the checkpoint-key line of jitd --audit-init's key file)";
        h.audit_key = *k;
    } else if (key == "for") {
        auto s = parse_selectors(v);
        if (!s.ok()) return s.error().message;
        h.acts_for = *s;
    } else {
        return "unknown key";
    }
    return "";
}

// The etcd connection's settings must hang together: a user needs its
// password file, a password never crosses plain http, and one cluster is
// reached one way (a mix would let one http:// member downgrade the rest).
std::string check_etcd_access(const FleetConfig& c) {
    size_t https = 0;
    for (const auto& e : c.endpoints) https += e.rfind("https://", 0) == 0;
    if (https != 0 && https != c.endpoints.size())
        return "endpoints: all https:// or all http://, not a mix";
    if (!c.user.empty() && c.password_file.empty()) return "user: needs password_file";
    if (c.user.empty() && !c.password_file.empty()) return "password_file: needs user";
    if (!c.user.empty() && https == 0)
        return "user: the etcd password would cross http:// in clear; use https:// endpoints";
    if (!c.ca_file.empty() && https == 0) return "ca_file: only for https:// endpoints";
    return "";
}

// users = alice, 1001: account names are matched against the caller's name
// at each call (getpwuid_r), uids directly.
std::string FleetIni::person_key(const std::string& person, const std::string& key,
                                 const std::string& v) {
    Person& p = c_.people[person];
    if (key == "users") {
        auto items = daemon::split_list(v);
        if (!items.ok()) return items.error();
        for (auto u : *items) {
            if (!u.empty() && u.find_first_not_of("0123456789") == std::string_view::npos) {
                if (u.size() > 9) return "uid " + std::string(u) + " is too large";
                p.uids.push_back(uint32_t(std::stoul(std::string(u))));
            } else if (daemon::valid_user_name(u)) {
                p.users.emplace_back(u);
            } else {
                return "\"" + std::string(u) + "\" is neither an account name nor a uid";
            }
        }
    } else if (key == "may") {
        auto m = parse_permissions(v);
        if (!m.ok()) return m.error().message;
        if (*m & kGrant) return "a person may request, approve, revoke (grant is a host's)";
        p.may = *m;
    } else {
        return "unknown key";
    }
    return "";
}

}  // namespace

Result<Labels, Failure> parse_labels(std::string_view text) {
    Labels labels;
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t cut = rest.find_first_of(", \t");
        std::string_view item = rest.substr(0, cut);
        rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
        if (item.empty()) continue;
        size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            return fail("label \"" + std::string(item) + "\" is not NAME=VALUE");
        std::string k(item.substr(0, eq)), v(item.substr(eq + 1));
        if (!valid_token(k) || !valid_token(v))
            return fail("label \"" + std::string(item) + "\": letters, digits, - _ . only");
        if (!labels.emplace(k, v).second) return fail("label " + k + " twice");
    }
    return labels;
}

Result<std::vector<Selector>, Failure> parse_selectors(std::string_view text) {
    std::vector<Selector> out;
    std::string_view rest = text;
    while (true) {
        size_t cut = rest.find(';');
        std::string_view part = trim(rest.substr(0, cut));
        if (part == "*") {
            out.emplace_back();
        } else {
            auto l = parse_labels(part);
            if (!l.ok()) return l.error();
            if (l->empty()) return fail("empty selector (use * for every host)");
            out.push_back(*l);
        }
        if (cut == std::string_view::npos) break;
        rest = rest.substr(cut + 1);
    }
    return out;
}

bool valid_fleet_name(std::string_view s) {
    return valid_token(s);
}

bool selector_matches(const Selector& s, const Labels& labels) {
    for (const auto& [k, v] : s) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
    }
    return true;
}

std::string format_labels(const Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
    return out;
}

Result<FleetConfig, Failure> parse_fleet_config(const std::string& text, const std::string& name) {
    FleetConfig c;
    FleetIni handler(c);
    auto r = daemon::parse_ini(text, name, handler);
    if (!r.ok()) return fail(r.error().to_string());
    if (c.host.empty()) return fail(name + ": [fleet] host is required");
    if (c.key_path.empty()) return fail(name + ": [fleet] key is required");
    if (c.endpoints.empty()) return fail(name + ": [fleet] endpoints is required");
    for (const auto& [host, h] : c.trusted)
        if (!h.key) return fail(name + ": [host " + host + "] key is required");
    if (auto e = check_etcd_access(c); !e.empty()) return fail(name + ": [fleet] " + e);
    for (const auto& [person, p] : c.people)
        if (p.users.empty() && p.uids.empty())
            return fail(name + ": [person " + person + "] users is required");
    return c;
}

bool trusted_for(const FleetConfig& c, const std::string& signer, Permission permission,
                 const Labels& target) {
    auto it = c.trusted.find(signer);
    if (it == c.trusted.end() || !(it->second.may & permission)) return false;
    for (const Selector& s : it->second.acts_for)
        if (selector_matches(s, target)) return true;
    return false;
}

}  // namespace jit::fleet

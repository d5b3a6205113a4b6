#include "daemon/config/config_nss.h"

#include <algorithm>
#include <set>

#include "daemon/base/ids.h"
#include "jit/snapshot.h"

namespace jit::daemon {

namespace {

constexpr std::string_view kAccountPrefix = "account ";
constexpr size_t kMaxGroups = 16;

ConfigCheck fail(std::string message) {
    return ConfigCheck(std::move(message));
}

AccountDecl* find_account(Config& c, std::string_view name) {
    for (auto& a : c.accounts)
        if (a.name == name) return &a;
    return nullptr;
}

ConfigCheck set_range(std::optional<UidRange>& out, std::string_view v, const char* what) {
    auto items = config_list(v);
    if (!items) return fail(items.error());
    if (items->size() != 1) return fail(std::string("one ") + what + " range, such as 60500-60999");
    auto range = config_id_range((*items)[0]);
    if (!range) return fail(range.error());
    out = *range;
    return ConfigCheck();
}

ConfigCheck set_group_list(std::vector<std::string>& out, std::string_view v) {
    auto items = config_list(v);
    if (!items) return fail(items.error());
    for (std::string_view g : *items) {
        if (!valid_user_name(g)) return fail("invalid group name '" + std::string(g) + "'");
        if (std::find(out.begin(), out.end(), g) == out.end()) out.emplace_back(g);
    }
    if (out.size() > kMaxGroups) return fail("at most 16 groups");
    return ConfigCheck();
}

ConfigCheck set_uid(AccountDecl& a, std::string_view v) {
    uint64_t n = 0;
    for (char ch : v) {
        if (ch < '0' || ch > '9') return fail("'" + std::string(v) + "' is not a uid");
        n = n * 10 + uint64_t(ch - '0');
        if (n > 0xfffffffeull) return fail("uid " + std::string(v) + " is too large");
    }
    if (n == 0) return fail("uid 0 (root) cannot be an NSS account");
    a.uid = uid_t(n);
    return ConfigCheck();
}

ConfigCheck set_path_value(std::string& out, std::string_view v) {
    if (auto ok = config_path(v); !ok) return ok;
    if (!snapshot::valid_path(v)) return fail("':' or a control character in path");
    out = v;
    return ConfigCheck();
}

bool in_range(const std::optional<UidRange>& r, uint32_t id) {
    return r && id >= r->first && id <= r->last;
}

}  // namespace

ConfigCheck set_nss_snapshot(Config& c, std::string_view v) {
    c.nss.configured = true;
    if (auto ok = config_path(v); !ok) return ok;
    c.nss.snapshot_path = v;
    return ConfigCheck();
}

ConfigCheck set_nss_uid_range(Config& c, std::string_view v) {
    c.nss.configured = true;
    return set_range(c.nss.uid_range, v, "uid");
}

ConfigCheck set_nss_gid_range(Config& c, std::string_view v) {
    c.nss.configured = true;
    return set_range(c.nss.gid_range, v, "gid");
}

ConfigCheck set_nss_groups(Config& c, std::string_view v) {
    c.nss.configured = true;
    return set_group_list(c.nss.groups, v);
}

std::string_view account_section_name(std::string_view section) {
    if (section.size() <= kAccountPrefix.size() ||
        section.substr(0, kAccountPrefix.size()) != kAccountPrefix)
        return {};
    return section.substr(kAccountPrefix.size());
}

ConfigCheck declare_account(Config& c, std::string_view name) {
    if (!valid_user_name(name)) return fail("invalid account name '" + std::string(name) + "'");
    if (name == "root") return fail("root cannot be an NSS account");
    c.nss.configured = true;
    if (!find_account(c, name)) {
        AccountDecl a;
        a.name = name;
        c.accounts.push_back(std::move(a));
    }
    return ConfigCheck();
}

ConfigCheck set_account_key(Config& c, std::string_view account, std::string_view key,
                            std::string_view value) {
    AccountDecl* a = find_account(c, account);
    if (!a) return fail("invalid account section");  // declare_account refused it
    if (key == "uid") return set_uid(*a, value);
    if (key == "groups") return set_group_list(a->groups, value);
    if (key == "home") return set_path_value(a->home, value);
    if (key == "shell") return set_path_value(a->shell, value);
    if (key == "gecos") {
        if (!snapshot::valid_text(value)) return fail("':' or a control character in gecos");
        a->gecos = value;
        return ConfigCheck();
    }
    if (key == "visible") {
        if (value != "always" && value != "granted") return fail("must be always or granted");
        a->always_visible = value == "always";
        return ConfigCheck();
    }
    return fail("unknown key in [account " + std::string(account) + "]");
}

ConfigCheck check_nss_config(const Config& c) {
    if (c.accounts.empty()) return ConfigCheck();
    if (!c.nss.uid_range || !c.nss.gid_range)
        return fail("[account] sections need uid_range and gid_range in [nss]");
    std::set<std::string> groups(c.nss.groups.begin(), c.nss.groups.end());
    for (const auto& a : c.accounts) {
        if (a.uid && !in_range(c.nss.uid_range, *a.uid))
            return fail("[account " + a.name + "] uid " + std::to_string(*a.uid) +
                        " is outside [nss] uid_range");
        if (groups.count(a.name))
            return fail("[account " + a.name + "] has the name of a jit group in [nss] groups");
        for (const auto& g : a.groups)
            for (const auto& other : c.accounts)
                if (other.name == g)
                    return fail("[account " + a.name + "] names the account " + g + " as a group");
    }
    for (size_t i = 0; i < c.accounts.size(); ++i)
        for (size_t j = i + 1; j < c.accounts.size(); ++j)
            if (c.accounts[i].uid && c.accounts[i].uid == c.accounts[j].uid)
                return fail("[account " + c.accounts[i].name + "] and [account " +
                            c.accounts[j].name + "] share a uid");
    return ConfigCheck();
}

}  // namespace jit::daemon

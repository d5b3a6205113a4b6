#include "daemon/accounts/nss_registry.h"

#include <errno.h>

#include <algorithm>
#include <set>

#include "daemon/base/ids.h"
#include "jit/escape.h"
#include "jit/snapshot.h"

namespace jit::daemon {

namespace {

constexpr const char* kDefaultShell = "/bin/sh";

Failure op(int code, std::string message) {
    return Failure{code, std::move(message)};
}

std::string range_text(const UidRange& r) {
    return std::to_string(r.first) + "-" + std::to_string(r.last);
}

const char* kind_name(Store::IdKind kind) {
    return kind == Store::IdKind::Uid ? "uid" : "gid";
}

template <typename T>
void sort_by_name(std::vector<T>& v) {
    std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.name < b.name; });
}

bool same_record(const NssAccount& a, const NssAccount& b) {
    return a.gecos == b.gecos && a.home == b.home && a.shell == b.shell &&
           a.visibility == b.visibility && a.groups == b.groups && a.origin == b.origin;
}

}  // namespace

AccountAsk request_for(const AccountDecl& d) {
    AccountAsk r;
    r.name = d.name;
    if (d.uid) r.uid = *d.uid;
    r.groups = d.groups;
    r.home = d.home;
    r.shell = d.shell;
    r.gecos = d.gecos;
    r.visibility =
        d.always_visible ? proto::AccountVisibility::Always : proto::AccountVisibility::Granted;
    return r;
}

Result<void, Failure> NssRegistry::load() {
    auto accounts = store_.nss_accounts();
    if (!accounts) return op(EIO, "cannot read NSS accounts: " + accounts.error().message);
    auto groups = store_.nss_groups();
    if (!groups) return op(EIO, "cannot read jit groups: " + groups.error().message);
    accounts_ = std::move(*accounts);
    groups_ = std::move(*groups);
    return {};
}

const NssAccount* NssRegistry::find(const std::string& name) const {
    for (const auto& a : accounts_)
        if (a.name == name) return &a;
    return nullptr;
}

bool NssRegistry::is_group(const std::string& name) const {
    for (const auto& g : groups_)
        if (g.name == name) return true;
    return false;
}

std::vector<std::string> NssRegistry::account_names() const {
    std::vector<std::string> names;
    for (const auto& a : accounts_) names.push_back(a.name);
    return names;
}

// Nothing else may resolve the name: with "passwd: files jit" an entry in
// /etc/passwd or /etc/group would win, and jit's would silently not exist.
Result<void, Failure> NssRegistry::name_is_free(const std::string& name, bool as_group) {
    if (!as_group && is_group(name)) return op(EEXIST, name + " is a jit group");
    if (as_group && find(name)) return op(EEXIST, name + " is a jit account's private group");
    if (!as_group) {
        auto user = system_.user(name);
        if (!user) return op(EIO, "cannot look up " + name + " in the system's accounts");
        if (user->has_value())
            return op(EEXIST, name + " already exists in the system's account database; jit " +
                                  "serves only names nothing else resolves");
    }
    auto group = system_.group(name);
    if (!group) return op(EIO, "cannot look up " + name + " in the system's groups");
    if (group->has_value())
        return op(EEXIST, "a group named " + name + " exists in the system's group database; " +
                              (as_group ? "name a jit-only group"
                                        : "it would hide the account's "
                                          "private group"));
    return {};
}

// An id for name: the one the ledger already gave it, the wanted one, the
// preferred one, or the lowest free one in the range; never one the ledger
// gave another name or that the system resolves.
Result<uint32_t, Failure> NssRegistry::pick_id(Store::IdKind kind, const std::string& name,
                                               std::optional<uint32_t> wanted,
                                               std::optional<uint32_t> prefer) {
    const auto& range = kind == Store::IdKind::Uid ? nss_.uid_range : nss_.gid_range;
    const std::string what = kind_name(kind);
    if (!range) return op(EINVAL, "jitd.conf has no [nss] " + what + "_range to allocate from");
    auto owned = store_.ledger_id(kind, name);
    if (!owned) return op(EIO, "cannot read the id ledger: " + owned.error().message);
    auto in_range = [&](uint32_t id) { return id >= range->first && id <= range->last; };
    auto free_id = [&](uint32_t id) -> Result<bool, Failure> {
        auto taken = store_.ledger_ids(kind, id, id);
        if (!taken) return op(EIO, "cannot read the id ledger: " + taken.error().message);
        if (!taken->empty()) return false;
        auto used = system_.id_in_use(kind == Store::IdKind::Gid, id);
        if (!used) return op(EIO, "cannot look up " + what + " " + std::to_string(id));
        return !*used;
    };
    if (wanted) {
        if (!in_range(*wanted))
            return op(EINVAL, what + " " + std::to_string(*wanted) + " is outside " + what +
                                  "_range " + range_text(*range));
        if (owned->has_value() && **owned != *wanted)
            return op(EINVAL, name + " had " + what + " " + std::to_string(**owned) +
                                  "; jit never changes an id");
        if (owned->has_value()) return *wanted;
        auto ok = free_id(*wanted);
        if (!ok) return ok.error();
        if (!*ok)
            return op(EEXIST, what + " " + std::to_string(*wanted) +
                                  " is in use or was used before; jit never reuses an id");
        return *wanted;
    }
    if (owned->has_value()) return **owned;  // the same name gets its id back
    if (prefer && in_range(*prefer)) {
        auto ok = free_id(*prefer);
        if (!ok) return ok.error();
        if (*ok) return *prefer;
    }
    for (uint64_t id = range->first; id <= range->last; ++id) {
        auto ok = free_id(uint32_t(id));
        if (!ok) return ok.error();
        if (*ok) return uint32_t(id);
    }
    return op(ENOSPC, what + "_range " + range_text(*range) + " is exhausted");
}

Result<void, Failure> NssRegistry::ensure_groups(const std::vector<std::string>& names) {
    std::vector<std::string> fresh;
    for (const auto& name : names) {
        if (!valid_user_name(name))
            return op(EINVAL, "invalid group name '" + escape_text(name) + "'");
        if (is_group(name) || std::find(fresh.begin(), fresh.end(), name) != fresh.end()) continue;
        if (auto free = name_is_free(name, true); !free) return free.error();
        fresh.push_back(name);
    }
    for (const auto& name : fresh) {
        auto gid = pick_id(Store::IdKind::Gid, name, std::nullopt, std::nullopt);
        if (!gid) return gid.error();
        NssGroup g{name, *gid, clock_.now()};
        if (auto stored = store_.insert_nss_group(g); !stored)
            return op(stored.error().code == EEXIST ? EEXIST : EIO,
                      "cannot store jit group " + name + ": " + stored.error().message);
        groups_.push_back(g);
        sort_by_name(groups_);
        created_.push_back(g);
    }
    return {};
}

Result<NssAccount, Failure> NssRegistry::build(const AccountAsk& r, AccountOrigin origin) {
    if (!valid_user_name(r.name) || r.name == "root")
        return op(EINVAL, "invalid account name '" + escape_text(r.name) + "'");
    if (find(r.name)) return op(EEXIST, "account " + r.name + " exists");
    NssAccount a;
    a.name = r.name;
    a.origin = origin;
    a.created = clock_.now();
    auto v = r.visibility.value_or(proto::AccountVisibility::Granted);
    if (v != proto::AccountVisibility::Always && v != proto::AccountVisibility::Granted)
        return op(EINVAL, "visibility must be always or granted");
    a.visibility = v == proto::AccountVisibility::Always ? Visibility::Always : Visibility::Granted;
    a.home = r.home.empty() ? "/home/" + r.name : r.home;
    a.shell = r.shell.empty() ? kDefaultShell : r.shell;
    if (!snapshot::valid_path(a.home) || !snapshot::valid_path(a.shell))
        return op(EINVAL,
                  "home and shell must be absolute paths without ':' or control characters");
    if (!snapshot::valid_text(r.gecos))
        return op(EINVAL, "gecos must be text without ':' or control characters");
    a.gecos = r.gecos;
    for (const auto& g : r.groups)
        if (std::find(a.groups.begin(), a.groups.end(), g) == a.groups.end()) a.groups.push_back(g);
    if (a.groups.size() > kMaxAccountGroups) return op(EINVAL, "at most 16 groups per account");
    if (r.uid && (*r.uid == 0 || *r.uid > 0xfffffffe)) return op(EINVAL, "invalid uid");
    if (auto free = name_is_free(a.name, false); !free) return free.error();
    // Groups first: a new group takes its gid now, so the account's private
    // group cannot be handed the same one.
    if (auto groups = ensure_groups(a.groups); !groups) return groups.error();
    auto uid =
        pick_id(Store::IdKind::Uid, a.name,
                r.uid ? std::optional<uint32_t>(uint32_t(*r.uid)) : std::nullopt, std::nullopt);
    if (!uid) return uid.error();
    a.uid = *uid;
    auto gid = pick_id(Store::IdKind::Gid, a.name, std::nullopt, a.uid);  // uid == gid if it can
    if (!gid) return gid.error();
    a.gid = *gid;
    return a;
}

Result<NssAccount, Failure> NssRegistry::add(const AccountAsk& r, AccountOrigin origin) {
    auto built = build(r, origin);
    if (!built) return built.error();
    if (auto stored = store_.insert_nss_account(*built); !stored)
        return op(stored.error().code == EEXIST ? EEXIST : EIO,
                  "cannot store account " + r.name + ": " + stored.error().message);
    accounts_.push_back(*built);
    sort_by_name(accounts_);
    return std::move(*built);
}

Result<NssAccount, Failure> NssRegistry::remove(const std::string& name, AccountOrigin by) {
    const NssAccount* a = find(name);
    if (!a) return op(ENOENT, "no NSS account " + escape_text(name));
    if (a->origin == AccountOrigin::Config && by != AccountOrigin::Config)
        return op(EINVAL, name + " is declared in jitd.conf; remove its [account] section there");
    if (auto gone = store_.delete_nss_account(name); !gone)
        return op(EIO, "cannot remove account " + name + ": " + gone.error().message);
    NssAccount removed = *a;
    accounts_.erase(accounts_.begin() + (a - accounts_.data()));
    return removed;
}

Result<NssAccount, Failure> NssRegistry::update_from_config(NssAccount& old,
                                                            const AccountDecl& decl) {
    if (decl.uid && *decl.uid != old.uid)
        return op(EINVAL, "[account " + old.name + "] uid " + std::to_string(*decl.uid) +
                              ": the account has uid " + std::to_string(old.uid) +
                              " and jit never changes an id");
    NssAccount a = old;
    a.home = decl.home.empty() ? "/home/" + decl.name : decl.home;
    a.shell = decl.shell.empty() ? kDefaultShell : decl.shell;
    a.gecos = decl.gecos;
    a.visibility = decl.always_visible ? Visibility::Always : Visibility::Granted;
    a.groups = decl.groups;
    a.origin = AccountOrigin::Config;
    if (same_record(a, old)) return a;
    if (auto groups = ensure_groups(a.groups); !groups) return groups.error();
    if (auto stored = store_.update_nss_account(a); !stored)
        return op(EIO, "cannot update account " + a.name + ": " + stored.error().message);
    old = a;
    return a;
}

std::vector<NssRegistry::SyncNote> NssRegistry::sync(const Config& config) {
    std::vector<SyncNote> notes;
    set_ranges(config.nss);
    if (auto groups = ensure_groups(config.nss.groups); !groups)
        notes.push_back({SyncNote::Error, "[nss] groups: " + groups.error().message});
    std::set<std::string> declared;
    for (const auto& decl : config.accounts) {
        declared.insert(decl.name);
        const NssAccount* existing = find(decl.name);
        if (!existing) {
            auto added = add(request_for(decl), AccountOrigin::Config);
            if (!added)
                notes.push_back(
                    {SyncNote::Error, "[account " + decl.name + "]: " + added.error().message});
            else
                notes.push_back({SyncNote::Added, "account " + decl.name +
                                                      " added from jitd.conf (uid " +
                                                      std::to_string(added->uid) + ")"});
            continue;
        }
        auto updated = update_from_config(accounts_[size_t(existing - accounts_.data())], decl);
        if (!updated) notes.push_back({SyncNote::Error, updated.error().message});
    }
    std::vector<std::string> gone;
    for (const auto& a : accounts_)
        if (a.origin == AccountOrigin::Config && !declared.count(a.name)) gone.push_back(a.name);
    for (const auto& name : gone) {
        auto removed = remove(name, AccountOrigin::Config);
        if (removed)
            notes.push_back(
                {SyncNote::Removed, "account " + name + " removed: no longer in jitd.conf"});
        else
            notes.push_back({SyncNote::Error, removed.error().message});
    }
    return notes;
}

}  // namespace jit::daemon

#include "daemon/policy/managed.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>

#include <algorithm>

namespace jit::daemon {

namespace {

constexpr size_t kMaxBuffer = 1 << 20;

bool means_not_found(int err) {
    return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

}  // namespace

Result<std::optional<UserInfo>> NssDirectory::user(const std::string& name) const {
    std::vector<char> buf(4096);
    passwd pw, *found = nullptr;
    int err;
    while ((err = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE &&
           buf.size() < kMaxBuffer)
        buf.resize(buf.size() * 2);
    if (!found) {
        if (means_not_found(err)) return std::optional<UserInfo>();
        return make_error(err, "user lookup failed");
    }
    UserInfo info;
    info.uid = pw.pw_uid;
    int n = 64;
    std::vector<gid_t> gids(static_cast<size_t>(n));
    if (getgrouplist(name.c_str(), pw.pw_gid, gids.data(), &n) < 0) {
        gids.resize(size_t(n));
        if (getgrouplist(name.c_str(), pw.pw_gid, gids.data(), &n) < 0)
            return make_error(EIO, "group list lookup failed");
    }
    gids.resize(size_t(n));
    info.groups = std::move(gids);
    return std::optional<UserInfo>(std::move(info));
}

Result<std::optional<gid_t>> NssDirectory::group(const std::string& name) const {
    std::vector<char> buf(4096);
    struct group gr, *found = nullptr;
    int err;
    while ((err = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found)) == ERANGE &&
           buf.size() < kMaxBuffer)
        buf.resize(buf.size() * 2);
    if (found) return std::optional<gid_t>(gr.gr_gid);
    if (means_not_found(err)) return std::optional<gid_t>();
    return make_error(err, "group lookup failed");
}

Result<bool> NssDirectory::id_in_use(bool group_id, uint32_t id) const {
    std::vector<char> buf(4096);
    for (;;) {
        int err;
        bool found;
        if (group_id) {
            struct group gr, *result = nullptr;
            err = getgrgid_r(gid_t(id), &gr, buf.data(), buf.size(), &result);
            found = result != nullptr;
        } else {
            passwd pw, *result = nullptr;
            err = getpwuid_r(uid_t(id), &pw, buf.data(), buf.size(), &result);
            found = result != nullptr;
        }
        if (err == ERANGE && buf.size() < kMaxBuffer) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (found) return true;
        if (means_not_found(err)) return false;
        return make_error(err, "id lookup failed");
    }
}

Membership ManagedAccounts::classify(const std::string& user) const {
    if (std::find(users_.begin(), users_.end(), user) != users_.end()) return Membership::Yes;
    if (std::find(nss_users_.begin(), nss_users_.end(), user) != nss_users_.end())
        return Membership::Yes;
    if (uids_.empty() && groups_.empty()) return Membership::No;
    auto info = directory_.user(user);
    if (!info) return Membership::Unknown;
    if (!info->has_value()) return Membership::No;
    const UserInfo& u = **info;
    for (const auto& r : uids_)
        if (u.uid >= r.first && u.uid <= r.last) return Membership::Yes;
    for (const auto& name : groups_) {
        auto gid = directory_.group(name);
        if (!gid) return Membership::Unknown;
        if (gid->has_value() &&
            std::find(u.groups.begin(), u.groups.end(), **gid) != u.groups.end())
            return Membership::Yes;
    }
    return Membership::No;
}

}  // namespace jit::daemon

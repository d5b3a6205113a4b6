// jitd's NSS operations: declaring and removing accounts, the jit groups a
// grant names, jitd.conf's accounts, and publishing the snapshot after every
// change.
#include <errno.h>
#include <syslog.h>

#include <algorithm>

#include "daemon/base/ids.h"
#include "jit/escape.h"
#include "daemon/service/service.h"

namespace jit::daemon {

namespace {

const char* visibility_name(Visibility v) {
    return v == Visibility::Always ? "always" : "granted";
}

Fields account_fields(const NssAccount& a) {
    std::string groups;
    for (const auto& g : a.groups) groups += (groups.empty() ? "" : ",") + g;
    return {{"JIT_USER", a.name},
            {"JIT_UID", std::to_string(a.uid)},
            {"JIT_GID", std::to_string(a.gid)},
            {"JIT_VISIBILITY", visibility_name(a.visibility)},
            {"JIT_GROUPS", groups},
            {"JIT_ORIGIN", a.origin == AccountOrigin::Config ? "jitd.conf" : "jitctl"}};
}

}  // namespace

void JitService::publish_nss() {
    if (!loaded_ || !publisher_.enabled() || !nss_.in_use()) return;
    // Read when the writer starts: in the background, in the writer child.
    publisher_.publish([this] {
        SnapshotInput in;
        in.now = clock_.now();
        in.accounts = nss_.accounts();
        in.groups = nss_.groups();
        in.grants.assign(book().grants().begin(), book().grants().end());
        return in;
    });
}

void JitService::journal_created_groups() {
    for (const auto& g : nss_.take_created_groups())
        journal_.record(Event::JitGroupCreated, LOG_NOTICE,
                        "jit group " + g.name + " created with gid " + std::to_string(g.gid),
                        {{"JIT_GROUP", g.name}, {"JIT_GID", std::to_string(g.gid)}});
}

Result<void, Failure> JitService::sync_nss(bool startup) {
    auto notes = nss_.sync(config_);
    journal_created_groups();
    std::string first_error;
    for (const auto& note : notes) {
        const bool error = note.kind == NssRegistry::SyncNote::Error;
        if (error && first_error.empty()) first_error = note.message;
        Event event = error                                       ? Event::ConfigWarning
                      : note.kind == NssRegistry::SyncNote::Added ? Event::AccountAdded
                                                                  : Event::AccountRemoved;
        journal_.record(event, error ? LOG_ERR : LOG_NOTICE, escape_text(note.message),
                        {{"JIT_REASON", note.message}});
    }
    managed_->set_nss_accounts(nss_.account_names());
    if (startup && !first_error.empty())
        return Failure{EINVAL, "jitd.conf accounts cannot be applied: " + first_error};
    return {};
}

// The jit groups a grant puts its user in: valid, at most kMaxGrantGroups,
// each existing afterwards (a new name becomes a jit group with its gid).
Result<void, Failure> JitService::check_grant_groups(const GrantAsk& request, Grant* g) {
    for (const auto& name : request.groups) {
        if (!valid_user_name(name))
            return Failure{EINVAL, "invalid group name '" + escape_text(name) + "'"};
        if (std::find(g->groups.begin(), g->groups.end(), name) == g->groups.end())
            g->groups.edit().push_back(name);
    }
    if (g->groups.size() > kMaxGrantGroups) return Failure{EINVAL, "at most 16 groups per grant"};
    auto ensured = nss_.ensure_groups(g->groups);
    journal_created_groups();
    if (!ensured) return ensured.error();
    return {};
}

Result<NssAccount, Failure> JitService::add_account(const Caller& caller,
                                                    const AccountAsk& request) {
    auto added = nss_.add(request, AccountOrigin::Jitctl);
    journal_created_groups();
    if (!added) return added.error();
    managed_->set_nss_accounts(nss_.account_names());
    Fields fields = account_fields(*added);
    fields.push_back({"JIT_REQUESTER", std::to_string(caller.uid)});
    journal_.record(Event::AccountAdded, LOG_NOTICE,
                    "account " + added->name + " added (uid " + std::to_string(added->uid) +
                        ", gid " + std::to_string(added->gid) + ", visible " +
                        visibility_name(added->visibility) + ") by uid " +
                        std::to_string(caller.uid),
                    fields);
    publish_nss();
    return added;
}

Result<NssAccount, Failure> JitService::remove_account(const Caller& caller,
                                                       const std::string& name) {
    auto removed = nss_.remove(name, AccountOrigin::Jitctl);
    if (!removed) return removed.error();
    managed_->set_nss_accounts(nss_.account_names());
    Fields fields = account_fields(*removed);
    fields.push_back({"JIT_REQUESTER", std::to_string(caller.uid)});
    journal_.record(Event::AccountRemoved, LOG_NOTICE,
                    "account " + removed->name + " removed by uid " + std::to_string(caller.uid) +
                        " (uid " + std::to_string(removed->uid) + " stays reserved)",
                    fields);
    publish_nss();
    return removed;
}

}  // namespace jit::daemon

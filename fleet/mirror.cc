#include "fleet/mirror.h"

namespace jit::fleet {

namespace {

bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

Action refused(const std::string& key, const Failure& e) {
    return Action{Action::Refused, "", std::nullopt, "", e.message, key};
}

}  // namespace

std::vector<Action> Mirror::revoke(const std::string& fleet_id, const std::string& reason,
                                   int64_t not_after) {
    std::vector<Action> out;
    auto it = state_.mirrored.find(fleet_id);
    if (not_after > 0) state_.revoked[fleet_id] = std::max(state_.revoked[fleet_id], not_after);
    if (it != state_.mirrored.end())
        out.push_back(
            Action{Action::Revoke, fleet_id, std::nullopt, it->second.local_id, reason, ""});
    return out;
}

std::vector<Action> Mirror::on_put(const std::string& key, const std::string& value, int64_t now) {
    if (starts_with(key, kRevocationsPrefix)) {
        auto r = read_revocation(config_, key, value);
        if (!r.ok()) return {refused(key, r.error())};
        // A revocation of a grant this host never saw is remembered too, so
        // the grant is refused if it arrives later (out of order on resync).
        int64_t keep_until = r->at + 7 * 24 * 3600;
        auto m = state_.mirrored.find(r->grant);
        if (m != state_.mirrored.end()) keep_until = std::max(keep_until, m->second.not_after);
        return revoke(r->grant, "fleet revocation by " + r->by + "@" + r->signer + ": " + r->reason,
                      keep_until);
    }
    if (!starts_with(key, kGrantsPrefix)) return {};
    auto g = read_grant(config_, key, value);
    if (!g.ok()) {
        if (g.error().code == ENOENT) return {};  // for other hosts: not ours to judge
        return {refused(key, g.error())};
    }
    if (state_.revoked.count(g->id) || state_.mirrored.count(g->id) || g->not_after <= now)
        return {};
    if (config_.offline == Offline::Deny && cut_off(now)) return {};
    return {Action{Action::Mirror, g->id, *g, "", "", key}};
}

std::vector<Action> Mirror::on_delete(const std::string& key, int64_t now) {
    if (!starts_with(key, kGrantsPrefix)) return {};
    std::string id = key.substr(std::string(kGrantsPrefix).size());
    auto it = state_.mirrored.find(id);
    if (it == state_.mirrored.end() || it->second.not_after <= now) return {};
    return revoke(id, "fleet grant record deleted from etcd before its end", it->second.not_after);
}

std::vector<Action> Mirror::tick(int64_t now) {
    std::vector<Action> out;
    for (auto it = state_.revoked.begin(); it != state_.revoked.end();)
        it = it->second < now ? state_.revoked.erase(it) : std::next(it);
    for (auto it = state_.mirrored.begin(); it != state_.mirrored.end();)
        it = it->second.not_after <= now ? state_.mirrored.erase(it) : std::next(it);
    // A revocation jitd has not taken yet (it was down) is tried again.
    for (const auto& [id, m] : state_.mirrored)
        if (state_.revoked.count(id))
            out.push_back(Action{Action::Revoke, id, std::nullopt, m.local_id,
                                 "fleet revocation (retried)", ""});
    if (config_.offline == Offline::Deny && cut_off(now) && last_heard_ != 0) {
        for (const auto& [id, m] : state_.mirrored)
            out.push_back(Action{Action::Revoke, id, std::nullopt, m.local_id,
                                 "cut off from etcd for more than " +
                                     std::to_string(config_.max_staleness) + "s (offline = deny)",
                                 ""});
        state_.revision = 0;  // resync when etcd answers again
    }
    return out;
}

void Mirror::mirrored(const GrantRecord& g, const std::string& local_id) {
    state_.mirrored[g.id] = Mirrored{local_id, g.account, g.not_after};
}

void Mirror::unmirrored(const std::string& fleet_id) {
    state_.mirrored.erase(fleet_id);
}

}  // namespace jit::fleet

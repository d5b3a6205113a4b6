#include "daemon/sessions/session_scope.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace jit::daemon {

namespace {

bool digits(const std::string& s, size_t from) {
    if (from >= s.size() || s.size() - from > 6) return false;
    return std::all_of(s.begin() + long(from), s.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Descendants of root (inclusive), by walking the parent links once.
std::set<pid_t> descendants(pid_t root, const std::vector<ProcInfo>& procs) {
    std::unordered_map<pid_t, std::vector<pid_t>> children;
    for (const auto& p : procs) children[p.ppid].push_back(p.pid);
    std::set<pid_t> out{root};
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        pid_t pid = todo.back();
        todo.pop_back();
        for (pid_t child : children[pid])
            if (out.insert(child).second) todo.push_back(child);
    }
    return out;
}

}  // namespace

std::vector<Target> select_targets(const SessionIdentity& id, const std::vector<ProcInfo>& procs,
                                   pid_t self) {
    bool leader_alive = std::any_of(procs.begin(), procs.end(), [&](const ProcInfo& p) {
        return id.pid > 1 && p.pid == id.pid && p.start == id.pid_start;
    });
    std::set<pid_t> tree;
    if (leader_alive) tree = descendants(id.pid, procs);
    const bool leads_session = leader_alive && id.sid == id.pid;
    const std::string scope =
        id.logind_session.empty() ? "" : "/session-" + id.logind_session + ".scope";
    std::vector<Target> out;
    for (const auto& p : procs) {
        if (p.pid <= 2 || p.ppid == 2 || p.pid == self || p.state == 'Z' || p.state == 'X')
            continue;
        bool match = tree.count(p.pid) > 0 || (leads_session && p.sid == id.sid) ||
                     (id.audit_session && p.audit_session == id.audit_session) ||
                     (!scope.empty() && ends_with(p.cgroup, scope));
        if (match) out.push_back({p.pid, p.start});
    }
    return out;
}

bool warnable_tty(const std::string& path) {
    if (path.rfind("/dev/pts/", 0) == 0) return digits(path, 9);
    if (path.rfind("/dev/tty", 0) == 0) return digits(path, 8);
    return false;
}

std::vector<SessionTty> session_ttys(const std::vector<Target>& targets,
                                     const std::vector<ProcInfo>& procs,
                                     const std::string& pam_tty) {
    std::map<std::string, SessionTty> ttys;
    for (const auto& t : targets)
        for (const auto& p : procs)
            if (p.pid == t.pid && p.start == t.start && p.tty_nr != 0) {
                std::string path = tty_path(p.tty_nr);
                if (path.empty()) continue;
                SessionTty& tty = ttys[path];
                tty.path = path;
                tty.tty_nr = p.tty_nr;
                tty.holders.push_back(p.pid);
            }
    if (warnable_tty(pam_tty) && !ttys.count(pam_tty)) ttys[pam_tty].path = pam_tty;
    std::vector<SessionTty> out;
    for (auto& [path, tty] : ttys) out.push_back(std::move(tty));
    return out;
}

}  // namespace jit::daemon

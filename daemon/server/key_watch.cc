#include "daemon/server/key_watch.h"

#include <string.h>
#include <sys/inotify.h>

namespace jit::daemon {

std::string KeyFileWatch::watch(const IssuerSet& issuers) {
    sources_.clear();
    names_.clear();
    std::set<std::string> dirs;
    for (const auto& i : issuers) {
        const std::string& path = i.config.jwks_file;
        size_t slash = path.rfind('/');
        if (slash == std::string::npos || slash + 1 >= path.size()) continue;
        dirs.insert(slash == 0 ? "/" : path.substr(0, slash));
        names_.insert(path.substr(slash + 1));
    }
    std::string failed;
    // A replaced file arrives by rename (IN_MOVED_TO) or is written in place
    // (IN_CLOSE_WRITE); a removed one is a change too.
    const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR;
    for (const auto& dir : dirs) {
        sd_event_source* s = nullptr;
        int r = sd_event_add_inotify(event_, &s, dir.c_str(), mask, on_event, this);
        if (r < 0) {
            failed += (failed.empty() ? "" : ", ") + dir + ": " + strerror(-r);
            continue;
        }
        sources_.emplace_back(s);
    }
    return failed;
}

int KeyFileWatch::on_event(sd_event_source*, const struct inotify_event* e, void* userdata) {
    auto* self = static_cast<KeyFileWatch*>(userdata);
    if ((e->mask & IN_Q_OVERFLOW) || (e->len > 0 && self->names_.count(e->name))) self->changed_();
    return 0;
}

}  // namespace jit::daemon

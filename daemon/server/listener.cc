#include "daemon/server/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <optional>

#include <systemd/sd-daemon.h>

#include "jit/client.h"

namespace jit::daemon {

namespace {

Failure failure(int code, std::string message) {
    return Failure{code, message + (code ? std::string(": ") + strerror(code) : "")};
}

bool fill_address(const std::string& path, sockaddr_un* addr) {
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr->sun_path || path[0] != '/') return false;
    memcpy(addr->sun_path, path.c_str(), path.size());
    return true;
}

// True when something accepts connections on the socket file.
bool socket_is_live(const sockaddr_un& addr) {
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe.valid()) return false;
    return connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

Result<void, Failure> clear_stale(const std::string& path, const sockaddr_un& addr) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return failure(errno, "cannot stat " + path);
    }
    if (!S_ISSOCK(st.st_mode)) return failure(0, path + " exists and is not a socket");
    if (socket_is_live(addr)) return failure(0, "another jitd is already listening on " + path);
    if (unlink(path.c_str()) != 0) return failure(errno, "cannot remove stale socket " + path);
    return {};
}

// Makes an inherited socket ours: non-blocking, close-on-exec.
Result<Listener, Failure> adopt(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return failure(errno, "cannot configure the inherited socket");
    Listener l;
    l.fd.reset(fd);
    l.activated = true;
    return l;
}

Result<Listener, Failure> bind_listener(const std::string& path, mode_t mode) {
    sockaddr_un addr;
    if (!fill_address(path, &addr))
        return failure(0, "socket path must be absolute and shorter than 108 bytes");
    std::string dir = path.substr(0, path.rfind('/'));
    if (!dir.empty() && mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return failure(errno, "cannot create " + dir);
    if (auto r = clear_stale(path, addr); !r) return r.error();

    Listener l;
    l.path = path;
    l.fd.reset(move_above_stdio(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)));
    if (!l.fd.valid()) return failure(errno, "cannot create socket");
    // Created without any permission, then opened up: there is no moment at
    // which the protected door is connectable by everyone.
    mode_t old = umask(0777);
    int bound = bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int saved = errno;
    umask(old);
    if (bound != 0) return failure(saved, "cannot bind " + path);
    if (chmod(path.c_str(), mode) != 0 || listen(l.fd.get(), 128) != 0) {
        saved = errno;
        unlink(path.c_str());
        return failure(saved, "cannot listen on " + path);
    }
    return l;
}

}  // namespace

Result<Listeners, Failure> acquire_listeners(const std::string& path) {
    int n = sd_listen_fds(1);
    if (n < 0) return failure(-n, "cannot read sockets passed by systemd");
    const std::string root_path = path + kProtectedSocketSuffix;
    std::optional<Listener> open, protected_door;
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) {
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0)
            return failure(0, "a socket from systemd is not a listening Unix stream socket");
        bool is_root = sd_is_socket_unix(fd, SOCK_STREAM, 1, root_path.c_str(), 0) > 0;
        bool is_open = sd_is_socket_unix(fd, SOCK_STREAM, 1, path.c_str(), 0) > 0 || n == 1;
        auto& slot = is_root ? protected_door : open;
        if ((!is_root && !is_open) || slot)
            return failure(
                0, "unexpected socket from systemd (want " + path + " and " + root_path + ")");
        auto l = adopt(fd);
        if (!l) return l.error();
        slot = std::move(*l);
    }
    if (!open) {
        auto l = bind_listener(path, 0666);
        if (!l) return l.error();
        open = std::move(*l);
    }
    if (!protected_door) {
        auto l = bind_listener(root_path, 0600);
        if (!l) return l.error();
        protected_door = std::move(*l);
    }
    return Listeners{std::move(*open), std::move(*protected_door)};
}

}  // namespace jit::daemon

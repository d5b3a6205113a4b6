#include "daemon/server/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

namespace jit::daemon {

namespace {

ListenerError failure(int code, std::string message) {
    return ListenerError{code, message + (code ? std::string(": ") + strerror(code) : "")};
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

Result<void, ListenerError> clear_stale(const std::string& path, const sockaddr_un& addr) {
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

Result<Listener, ListenerError> inherited(int n) {
    if (n != 1)
        return failure(0, "expected exactly one socket from systemd, got " + std::to_string(n));
    int fd = SD_LISTEN_FDS_START;
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0)
        return failure(0, "the socket from systemd is not a listening Unix stream socket");
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return failure(errno, "cannot configure the inherited socket");
    Listener l;
    l.fd.reset(fd);
    l.activated = true;
    return l;
}

}  // namespace

Result<Listener, ListenerError> acquire_listener(const std::string& path) {
    int n = sd_listen_fds(1);
    if (n < 0) return failure(-n, "cannot read sockets passed by systemd");
    if (n > 0) return inherited(n);

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
    if (bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return failure(errno, "cannot bind " + path);
    if (chmod(path.c_str(), 0666) != 0 || listen(l.fd.get(), 128) != 0) {
        int saved = errno;
        unlink(path.c_str());
        return failure(saved, "cannot listen on " + path);
    }
    return l;
}

}  // namespace jit::daemon

// Scripted jitd stand-ins for the client tests.  Each server is a forked
// process that owns a listening Unix socket in a private temporary directory
// and misbehaves in one chosen way; it is killed and reaped by pid when the
// test ends.  Processes rather than threads keep the test process's own file
// descriptor table still, so fd-leak counts mean something.
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "jit/client.h"
#include "jit/protocol.h"
#include "jit/unique_fd.h"

namespace jit::test {

using Bytes = std::vector<uint8_t>;

class TempDir {
public:
    TempDir() {
        const char* base = getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/jit-client-XXXXXX";
        if (tmpl.size() > 60) tmpl = "/tmp/jit-client-XXXXXX";  // sun_path is short
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data())) path_ = buf.data();
    }
    ~TempDir() {
        if (path_.empty()) return;
        if (DIR* d = opendir(path_.c_str())) {
            while (dirent* e = readdir(d)) {
                std::string name = e->d_name;
                if (name != "." && name != "..") unlink((path_ + "/" + name).c_str());
            }
            closedir(d);
        }
        rmdir(path_.c_str());
    }
    bool ok() const { return !path_.empty(); }
    std::string file(const char* name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline UniqueFd listen_unix(const std::string& path, int backlog = 16) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (!fd.valid() || bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd.get(), backlog) != 0)
        return UniqueFd();
    return fd;
}

// What a scripted server does with each connection.
struct Script {
    bool read_request = true;  // read one whole request frame first
    Bytes expect_request;      // if set, a different request is dropped unanswered
    Bytes reply;               // sent as is, except...
    bool echo_id = true;       // ...the request id is copied in, as jitd would
    bool hold_open = false;    // after replying, keep the connection open forever
    int inspect_fd = -1;       // report the client's descriptors on this pipe first
    // Stop reading mid-request (shutdown SHUT_RD, then drain what is queued):
    // every later send of the client fails with EPIPE, the error that comes
    // with SIGPIPE unless the sender asked for MSG_NOSIGNAL.
    bool stop_reading = false;
    size_t piece = 0;  // if set: the reply goes out this many bytes at a time, 5 ms apart
    Bytes trailer;     // sent after the reply, in the same write

    Script& in_pieces(size_t bytes) {
        piece = bytes;
        return *this;
    }
    Script& followed_by(Bytes extra) {
        trailer = std::move(extra);
        return *this;
    }
    Script& expecting(Bytes request) {
        expect_request = std::move(request);
        return *this;
    }
    Script& verbatim() {
        echo_id = false;
        return *this;
    }
    Script& holding_open() {
        hold_open = true;
        return *this;
    }
    Script& without_reading() {
        read_request = false;
        return *this;
    }
    Script& stopping_reading() {
        stop_reading = true;
        return *this;
    }
    Script& reporting_to(int fd) {
        inspect_fd = fd;
        return *this;
    }
};

inline Script replying(Bytes reply) {
    Script s;
    s.reply = std::move(reply);
    return s;
}
// Reads the request and never answers.
inline Script silent() {
    return replying({}).holding_open();
}

inline bool read_full(int fd, uint8_t* p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= size_t(r);
    }
    return true;
}

inline bool read_request(int fd, Bytes* out) {
    out->assign(proto::kHeaderSize, 0);
    if (!read_full(fd, out->data(), proto::kHeaderSize)) return false;
    uint32_t body = 0;
    memcpy(&body, out->data() + 12, 4);  // little-endian host, like the test machines
    if (body > proto::kMaxBody) return false;
    out->resize(proto::kHeaderSize + body);
    return read_full(fd, out->data() + proto::kHeaderSize, body);
}

// A census of the client process's descriptors, taken while it waits for our
// reply: "stdio=<which of 0-2 are open> sockets=<count> cloexec=<count of
// those with O_CLOEXEC>".  The client is found through SO_PEERCRED.
inline std::string census_client_fds(int conn) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return "no SO_PEERCRED";
    std::string proc = "/proc/" + std::to_string(cred.pid);
    std::string stdio;
    int sockets = 0, cloexec = 0;
    for (int fd = 0; fd < 64; ++fd) {
        char target[128] = "";
        ssize_t n =
            readlink((proc + "/fd/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
        if (n < 0) continue;
        if (fd <= 2) stdio += std::to_string(fd);
        if (strncmp(target, "socket:", 7) != 0) continue;
        ++sockets;
        char info[256] = "";
        int i = open((proc + "/fdinfo/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC);
        ssize_t got = i >= 0 ? read(i, info, sizeof info - 1) : -1;
        if (i >= 0) close(i);
        const char* flags = got > 0 ? strstr(info, "flags:") : nullptr;
        if (flags && (strtoul(flags + 6, nullptr, 8) & O_CLOEXEC)) ++cloexec;
    }
    return "stdio=" + stdio + " sockets=" + std::to_string(sockets) +
           " cloexec=" + std::to_string(cloexec);
}

[[noreturn]] inline void serve_forever(int listen_fd, Script s) {
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EINTR) continue;
            _exit(3);
        }
        if (s.inspect_fd >= 0) {
            std::string report = census_client_fds(conn);
            if (write(s.inspect_fd, report.data(), report.size()) < 0) _exit(4);
            close(s.inspect_fd);
            s.inspect_fd = -1;
        }
        if (s.stop_reading) {
            shutdown(conn, SHUT_RD);
            char sink[65536];
            while (read(conn, sink, sizeof sink) > 0) {
            }
            close(conn);
            continue;
        }
        Bytes request;
        bool got = !s.read_request || read_request(conn, &request);
        bool expected = s.expect_request.empty() || request == s.expect_request;
        if (got && expected && !s.reply.empty()) {
            Bytes reply = s.reply;
            if (s.echo_id && reply.size() >= 12 && request.size() >= 12)
                memcpy(reply.data() + 8, request.data() + 8, 4);
            reply.insert(reply.end(), s.trailer.begin(), s.trailer.end());
            const size_t step = s.piece ? s.piece : reply.size();
            for (size_t at = 0; at < reply.size(); at += step) {
                if (at > 0) usleep(5000);
                if (send(conn, reply.data() + at, std::min(step, reply.size() - at), MSG_NOSIGNAL) <
                    0)
                    _exit(5);
            }
        }
        if (s.hold_open)
            for (;;) pause();
        close(conn);
    }
}

// A forked scripted server, killed and reaped by pid on destruction.
class ServerProcess {
public:
    ServerProcess(UniqueFd listener, Script script) {
        pid_ = fork();
        if (pid_ == 0) serve_forever(listener.get(), std::move(script));
    }
    ~ServerProcess() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        int status;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    bool started() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

    // Stops the server the way a hung daemon is stopped; returns once it is.
    bool stop() {
        int status;
        return kill(pid_, SIGSTOP) == 0 && waitpid(pid_, &status, WUNTRACED) == pid_ &&
               WIFSTOPPED(status);
    }

private:
    pid_t pid_ = -1;
};

inline int count_open_fds() {
    DIR* d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

inline int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 since)
        .count();
}

}  // namespace jit::test

// For the fleet layer's latency figures: polls `check deploy sshd` on every
// given jitd socket (in one process, about every 2 ms per host, no process
// spawned per check) until each denies, then prints "SOCKET EPOCH_MS" per
// socket.  Exits 1 if a socket still allows at the deadline.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "jit/client.h"
#include "jit/messages.h"

namespace {

int64_t now_ms() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool allows(const char* socket, uint32_t id) {
    jit::msg::CheckRequest req{"deploy", "sshd", "", "", ""};
    auto frame = jit::msg::encode(req, id);
    jit::ClientOptions o;
    o.socket_path = socket;
    o.trusted_uids[0] = 0;
    o.trusted_uids[1] = getuid();
    o.trusted_count = 2;
    o.timeout_ms = 1000;
    std::vector<uint8_t> buf(jit::proto::kMaxFrame);
    auto got = jit::roundtrip(o, frame->data(), frame->size(), buf.data(), buf.size());
    if (!got || got->header.type != jit::proto::MsgType::CheckReply)
        return true;  // unknown: keep polling
    return jit::msg::decode_check_reply(*got).decision == jit::proto::Decision::Allow;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return fprintf(stderr, "usage: deny_watch TIMEOUT_MS SOCKET...\n"), 2;
    int64_t deadline = now_ms() + atol(argv[1]);
    std::vector<int64_t> denied(size_t(argc - 2), 0);
    size_t left = denied.size();
    uint32_t id = 1;
    printf("ready\n");
    fflush(stdout);
    while (left > 0 && now_ms() < deadline) {
        for (size_t i = 0; i < denied.size(); ++i)
            if (!denied[i] && !allows(argv[i + 2], ++id)) {
                denied[i] = now_ms();
                --left;
            }
        timespec pause{0, 2 * 1000 * 1000};
        nanosleep(&pause, nullptr);
    }
    for (size_t i = 0; i < denied.size(); ++i)
        printf("%s %lld\n", argv[i + 2], (long long)denied[i]);
    return left == 0 ? 0 : 1;
}

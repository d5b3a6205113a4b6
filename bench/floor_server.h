// The floor of a CHECK on this machine: a server that makes the system
// calls jitd makes for an allowed CHECK and sends journald an entry the
// size of a decision's, but decides nothing (its answer is canned).  What
// jitd costs over it is jitd's own work; what the floor itself costs over
// an echo server is the kernel's and journald's, which no decision code
// can take back.
#pragma once

#include <sys/types.h>

#include <string>

namespace bench {

// Forks the floor server on a socket at path and returns its pid (noted
// with started()).  With journal false no entry is sent (no journald).
pid_t start_floor_server(const std::string& path, bool journal);

}  // namespace bench

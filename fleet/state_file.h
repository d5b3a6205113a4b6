// The mirror's state on disk (STATE_DIR/state.json, root-only): which local
// grant mirrors which fleet grant, which fleet grants were revoked, and the
// etcd revision to resume from.  Written atomically and fsynced, so after a
// crash jit-fleet knows which local grants are its own to revoke.
#pragma once

#include <string>

#include "fleet/error.h"
#include "fleet/mirror.h"
#include "jit/result.h"

namespace jit::fleet {

// A missing file is an empty state; a damaged one is an error (never
// silently empty: the revoked list is what keeps a revoked grant out).
Result<MirrorState, Failure> load_state(const std::string& dir);
Result<void, Failure> save_state(const std::string& dir, const MirrorState& state);

// The same discipline for jit-fleet's other state files: read whole ("" when
// missing); written atomically (NAME.new, fsync, rename, fsync the dir), 0600.
Result<std::string, Failure> read_state_file(const std::string& path);
Result<void, Failure> write_state_file(const std::string& dir, const std::string& name,
                                       const std::string& text);

}  // namespace jit::fleet

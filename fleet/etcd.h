// etcd v3 through its JSON gateway (grpc-gateway, /v3/...), with libcurl.
// Why the gateway and not gRPC: Debian ships libcurl and nlohmann-json but no
// C++ stubs for etcd's protobufs; the gateway speaks the same API (keys and
// values base64, 64-bit numbers as strings).  Its cost: no TLS client
// certificate identity, so RBAC uses etcd users (user + password over TLS).
//
// Every call has a deadline and fails over across the configured members in
// order, starting from the last one that answered.
#pragma once

#include <stdint.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fleet/error.h"
#include "jit/result.h"

namespace jit::fleet {

struct KeyValue {
    std::string key, value;
    int64_t mod_revision = 0;
    int64_t lease = 0;
};

struct RangeResult {
    std::vector<KeyValue> kvs;
    int64_t revision = 0;  // the store's revision when read
};

struct WatchEvent {
    bool deleted = false;
    KeyValue kv;
};

struct WatchBatch {
    std::vector<WatchEvent> events;
    int64_t revision = 0;          // header revision of this batch
    int64_t compact_revision = 0;  // non-zero: start_revision was compacted away
};

struct EtcdOptions {
    std::vector<std::string> endpoints;
    std::string user, password;  // empty user: no authentication
    std::string ca_file;         // for https:// endpoints
    long timeout_ms = 2000;      // per call
};

class Etcd {
public:
    explicit Etcd(EtcdOptions options);
    ~Etcd();
    Etcd(const Etcd&) = delete;
    Etcd& operator=(const Etcd&) = delete;

    Result<int64_t, Failure> put(const std::string& key, const std::string& value,
                                 int64_t lease = 0);
    // Creates key only if it does not exist (a txn on create_revision == 0).
    Result<bool, Failure> create(const std::string& key, const std::string& value,
                                 int64_t lease = 0);
    Result<RangeResult, Failure> get(const std::string& key_or_prefix, bool prefix);
    Result<int64_t, Failure> remove(const std::string& key, bool prefix);
    Result<int64_t, Failure> lease_grant(int64_t ttl_seconds);
    Result<void, Failure> lease_keepalive(int64_t lease);
    // Watches prefix from start_revision for at most window_ms, calling on_batch
    // for each batch as it arrives; returns the next revision to watch from.
    // A batch with compact_revision set means events were lost: resync.
    Result<int64_t, Failure> watch(const std::string& prefix, int64_t start_revision,
                                   long window_ms,
                                   const std::function<void(const WatchBatch&)>& on_batch);
    const std::string& endpoint() const;  // the member that answered last

private:
    struct Impl;
    Impl* impl_;
};

std::string prefix_end(const std::string& prefix);  // etcd's range_end for a prefix

}  // namespace jit::fleet

#include "fleet/etcd.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>

#include "fleet/json_strict.h"
#include "fleet/record.h"

namespace jit::fleet {

using nlohmann::json;

namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024 * 1024;  // a full resync of a large fleet

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct HeaderList {
    curl_slist* list = nullptr;
    ~HeaderList() { curl_slist_free_all(list); }
    void add(const std::string& h) { list = curl_slist_append(list, h.c_str()); }
};

int64_t number(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return 0;
    const json& v = j[key];
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
        try {
            return std::stoll(v.get<std::string>());
        } catch (...) {
            return 0;
        }
    }
    return 0;
}

Result<KeyValue, Failure> decode_kv(const json& j) {
    KeyValue kv;
    auto key = base64_decode(j.value("key", ""));
    auto value = base64_decode(j.value("value", ""));
    if (!key.ok() || !value.ok()) return fail("etcd: key or value is not base64", EPROTO);
    kv.key = std::move(*key);
    kv.value = std::move(*value);
    kv.mod_revision = number(j, "mod_revision");
    kv.lease = number(j, "lease");
    return kv;
}

size_t collect(char* data, size_t size, size_t n, void* user) {
    auto* out = static_cast<std::string*>(user);
    if (out->size() + size * n > kMaxReplyBytes) return 0;
    out->append(data, size * n);
    return size * n;
}

struct StreamState {
    std::string buffer;
    const std::function<void(const WatchBatch&)>* on_batch;
    int64_t next_revision;
    std::string problem;
};

}  // namespace

struct Etcd::Impl {
    EtcdOptions options;
    size_t current = 0;  // index of the member to try first
    std::string token;
    CurlHandle handle{curl_easy_init()};

    Result<json, Failure> call(const std::string& path, const json& body, long timeout_ms);
    Result<json, Failure> call_one(const std::string& endpoint, const std::string& path,
                                   const std::string& body, long timeout_ms, long* http_status);
    Result<void, Failure> authenticate(const std::string& endpoint);
    void setup(CURL* c, const std::string& url, const std::string& body, long timeout_ms,
               HeaderList& headers);
};

void Etcd::Impl::setup(CURL* c, const std::string& url, const std::string& body, long timeout_ms,
                       HeaderList& headers) {
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(body.size()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 1000 ? timeout_ms : 1000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
    headers.add("Content-Type: application/json");
    if (!token.empty()) headers.add("Authorization: " + token);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
}

Result<json, Failure> Etcd::Impl::call_one(const std::string& endpoint, const std::string& path,
                                           const std::string& body, long timeout_ms,
                                           long* http_status) {
    std::string reply;
    HeaderList headers;
    setup(handle.get(), endpoint + path, body, timeout_ms, headers);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &reply);
    CURLcode rc = curl_easy_perform(handle.get());
    if (rc != CURLE_OK)
        return fail(endpoint + ": " + curl_easy_strerror(rc),
                    rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : ECONNREFUSED);
    curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, http_status);
    auto doc = parse_strict(reply, kMaxReplyBytes);
    if (!doc.ok()) return fail(endpoint + ": reply: " + doc.error().message, EPROTO);
    return doc;
}

Result<void, Failure> Etcd::Impl::authenticate(const std::string& endpoint) {
    token.clear();
    json body = {{"name", options.user}, {"password", options.password}};
    long status = 0;
    auto r = call_one(endpoint, "/v3/auth/authenticate", body.dump(), options.timeout_ms, &status);
    if (!r.ok()) return r.error();
    if (status != 200 || !r->contains("token") || !(*r)["token"].is_string())
        return fail(endpoint + ": etcd refused user " + options.user, EACCES);
    token = (*r)["token"].get<std::string>();
    return {};
}

Result<json, Failure> Etcd::Impl::call(const std::string& path, const json& body, long timeout_ms) {
    Failure last = fail("no etcd endpoint configured", ENOTCONN);
    for (size_t tried = 0; tried < options.endpoints.size(); ++tried) {
        const std::string& ep = options.endpoints[(current + tried) % options.endpoints.size()];
        if (!options.user.empty() && token.empty()) {
            if (auto a = authenticate(ep); !a.ok()) {
                last = a.error();
                continue;
            }
        }
        long status = 0;
        auto r = call_one(ep, path, body.dump(), timeout_ms, &status);
        if (r.ok() && status == 401 && !options.user.empty()) {  // token expired
            token.clear();
            --tried;
            continue;
        }
        if (!r.ok()) {
            last = r.error();
            continue;
        }
        current = (current + tried) % options.endpoints.size();
        if (status != 200)
            return fail(ep + path + ": " + r->value("message", "HTTP " + std::to_string(status)),
                        status == 403 ? EACCES : EPROTO);
        return r;
    }
    return last;
}

Etcd::Etcd(EtcdOptions options) : impl_(new Impl) {
    impl_->options = std::move(options);
}
Etcd::~Etcd() {
    delete impl_;
}

const std::string& Etcd::endpoint() const {
    return impl_->options.endpoints[impl_->current % impl_->options.endpoints.size()];
}

std::string prefix_end(const std::string& prefix) {
    std::string end = prefix;
    while (!end.empty()) {
        auto& c = reinterpret_cast<unsigned char&>(end.back());
        if (c < 0xff) {
            ++c;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');
}

Result<int64_t, Failure> Etcd::put(const std::string& key, const std::string& value,
                                   int64_t lease) {
    json body = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease) body["lease"] = std::to_string(lease);
    auto r = impl_->call("/v3/kv/put", body, impl_->options.timeout_ms);
    if (!r.ok()) return r.error();
    return number((*r)["header"], "revision");
}

Result<bool, Failure> Etcd::create(const std::string& key, const std::string& value,
                                   int64_t lease) {
    json put = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease) put["lease"] = std::to_string(lease);
    json body = {{"compare", json::array({{{"key", base64_encode(key)},
                                           {"target", "CREATE"},
                                           {"result", "EQUAL"},
                                           {"create_revision", "0"}}})},
                 {"success", json::array({{{"request_put", put}}})}};
    auto r = impl_->call("/v3/kv/txn", body, impl_->options.timeout_ms);
    if (!r.ok()) return r.error();
    return r->value("succeeded", false);
}

Result<RangeResult, Failure> Etcd::get(const std::string& key_or_prefix, bool prefix) {
    json body = {{"key", base64_encode(key_or_prefix)}};
    if (prefix) body["range_end"] = base64_encode(prefix_end(key_or_prefix));
    auto r = impl_->call("/v3/kv/range", body, impl_->options.timeout_ms * 5);
    if (!r.ok()) return r.error();
    RangeResult out;
    out.revision = number((*r)["header"], "revision");
    if (r->contains("kvs") && (*r)["kvs"].is_array())
        for (const json& j : (*r)["kvs"]) {
            auto kv = decode_kv(j);
            if (!kv.ok()) return kv.error();
            out.kvs.push_back(std::move(*kv));
        }
    return out;
}

Result<int64_t, Failure> Etcd::remove(const std::string& key, bool prefix) {
    json body = {{"key", base64_encode(key)}};
    if (prefix) body["range_end"] = base64_encode(prefix_end(key));
    auto r = impl_->call("/v3/kv/deleterange", body, impl_->options.timeout_ms);
    if (!r.ok()) return r.error();
    return number(*r, "deleted");
}

Result<int64_t, Failure> Etcd::lease_grant(int64_t ttl_seconds) {
    auto r = impl_->call("/v3/lease/grant", {{"TTL", std::to_string(ttl_seconds)}},
                         impl_->options.timeout_ms);
    if (!r.ok()) return r.error();
    int64_t id = number(*r, "ID");
    if (id == 0) return fail("etcd: lease grant returned no id", EPROTO);
    return id;
}

Result<void, Failure> Etcd::lease_keepalive(int64_t lease) {
    auto r = impl_->call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}},
                         impl_->options.timeout_ms);
    if (!r.ok()) return r.error();
    const json& res = r->contains("result") ? (*r)["result"] : *r;
    if (number(res, "TTL") <= 0)
        return fail("etcd: lease " + std::to_string(lease) + " has expired", ENOENT);
    return {};
}

namespace {

Result<WatchBatch, Failure> decode_batch(const json& line) {
    if (!line.contains("result") || !line["result"].is_object()) {
        std::string why =
            line.contains("error") ? line["error"].value("message", "error") : "no result";
        return fail("etcd watch: " + why, EPROTO);
    }
    const json& res = line["result"];
    // A watch etcd cancels (its token expired, a permission was taken
    // away) must not pass for a quiet one: nothing would arrive, revocations
    // included, while every window looked answered.
    if (res.value("canceled", false))
        return fail(
            "etcd canceled the watch: " + res.value("cancel_reason", std::string("no reason")),
            EPERM);
    WatchBatch b;
    b.revision = number(res.value("header", json::object()), "revision");
    b.compact_revision = number(res, "compact_revision");
    if (res.contains("events") && res["events"].is_array())
        for (const json& e : res["events"]) {
            auto kv = decode_kv(e.value("kv", json::object()));
            if (!kv.ok()) return kv.error();
            b.events.push_back({e.value("type", "PUT") == "DELETE", std::move(*kv)});
        }
    return b;
}

size_t stream(char* data, size_t size, size_t n, void* user) {
    auto* st = static_cast<StreamState*>(user);
    st->buffer.append(data, size * n);
    if (st->buffer.size() > kMaxReplyBytes) return 0;
    size_t nl;
    while ((nl = st->buffer.find('\n')) != std::string::npos) {
        std::string line = st->buffer.substr(0, nl);
        st->buffer.erase(0, nl + 1);
        if (line.empty()) continue;
        auto doc = parse_strict(line, kMaxReplyBytes);
        auto batch = doc.ok() ? decode_batch(*doc) : Result<WatchBatch, Failure>(doc.error());
        if (!batch.ok()) {
            st->problem = batch.error().message;
            return 0;
        }
        if (batch->compact_revision) {
            st->next_revision = 0;
        } else if (batch->revision >= st->next_revision && !batch->events.empty()) {
            st->next_revision = batch->revision + 1;
        }
        (*st->on_batch)(*batch);
        if (batch->compact_revision) return 0;
    }
    return size * n;
}

}  // namespace

Result<int64_t, Failure> Etcd::watch(const std::string& prefix, int64_t start_revision,
                                     long window_ms,
                                     const std::function<void(const WatchBatch&)>& on_batch) {
    json create = {{"key", base64_encode(prefix)},
                   {"range_end", base64_encode(prefix_end(prefix))}};
    if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
    std::string body = json{{"create_request", create}}.dump();
    Failure last = fail("no etcd endpoint configured", ENOTCONN);
    auto& opts = impl_->options;
    for (size_t tried = 0; tried < opts.endpoints.size(); ++tried) {
        size_t index = (impl_->current + tried) % opts.endpoints.size();
        if (!opts.user.empty() && impl_->token.empty())
            if (auto a = impl_->authenticate(opts.endpoints[index]); !a.ok()) {
                last = a.error();
                continue;
            }
        StreamState st{"", &on_batch, start_revision, ""};
        CurlHandle h(curl_easy_init());
        HeaderList headers;
        impl_->setup(h.get(), opts.endpoints[index] + "/v3/watch", body, window_ms, headers);
        curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, stream);
        curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &st);
        CURLcode rc = curl_easy_perform(h.get());
        if (!st.problem.empty()) {
            impl_->token.clear();  // authenticate again: the token may be why
            return fail(st.problem, EPROTO);
        }
        if (rc == CURLE_OK || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_WRITE_ERROR) {
            long status = 0;
            curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
            if (status == 200) {
                impl_->current = index;
                return st.next_revision;
            }
            if (status == 401) impl_->token.clear();
            last =
                fail(opts.endpoints[index] + "/v3/watch: HTTP " + std::to_string(status), EPROTO);
            continue;
        }
        last = fail(opts.endpoints[index] + ": " + curl_easy_strerror(rc), ECONNREFUSED);
    }
    return last;
}

}  // namespace jit::fleet

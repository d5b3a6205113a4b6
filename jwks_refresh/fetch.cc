#include "jwks_refresh/fetch.h"

#include <curl/curl.h>

#include <memory>

namespace jit::jwks {

namespace {

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct Sink {
    std::string body;
    size_t max_bytes;
    bool too_big = false;
};

size_t collect(char* data, size_t size, size_t n, void* user) {
    auto* sink = static_cast<Sink*>(user);
    if (sink->body.size() + size * n > sink->max_bytes) {
        sink->too_big = true;
        return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    sink->body.append(data, size * n);
    return size * n;
}

}  // namespace

Result<std::string, Failure> https_get(const std::string& url, const FetchLimits& limits,
                                       long remaining_ms) {
    if (url.rfind("https://", 0) != 0) return problem(url + ": only https:// is fetched");
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return problem("cannot initialise libcurl");
    CURL* c = curl.get();
    Sink sink{{}, limits.max_bytes};
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, limits.max_redirects);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, long(CURL_SSLVERSION_TLSv1_2));
    if (!limits.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, limits.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, remaining_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(remaining_ms, 5000L));
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.max_bytes));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jit-jwks-refresh/" JIT_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
    // Never a proxy from the environment: the unit has none, and a test or
    // an operator's shell must not route key sets through one unawares.
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");

    const CURLcode rc = curl_easy_perform(c);
    const std::string max = std::to_string(limits.max_bytes);
    if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return problem(url + ": larger than " + max + " bytes, refused");
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return problem(url + ": no complete answer within the limit of " +
                       std::to_string(limits.timeout_ms) + " ms");
    if (rc == CURLE_UNSUPPORTED_PROTOCOL)
        return problem(url + ": redirected to a URL that is not https://, refused");
    if (rc != CURLE_OK)
        return problem(url + ": " + (curl_error[0] ? curl_error : curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return problem(url + ": HTTP status " + std::to_string(status));
    return std::move(sink.body);
}

}  // namespace jit::jwks

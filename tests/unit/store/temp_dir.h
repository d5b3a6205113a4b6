// A directory of its own for one store test, removed with everything in it.
#pragma once

#include <errno.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace jit::daemon::test_support {

class TempDir {
public:
    explicit TempDir(const char* prefix) {
        const char* base = getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
        if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed: " << errno;
        char* real = realpath(tmpl.c_str(), nullptr);
        path_ = real ? real : tmpl;
        free(real);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace jit::daemon::test_support

// jit's one error vocabulary for every program that may allocate: jitd,
// jitctl, jit-sweep, jit-fleet and jit-jwks-refresh.  A Failure is an errno
// code (what a client, an ERROR_REPLY or an exit code is derived from) and
// the whole message a person reads, context included; Result<T, Failure>
// carries it, so the error of a call travels with its result and there is
// no side channel to read afterwards.
//
// The guests (pam_jit.so, libnss_jit.so.2, jit_sudo.so) are built without
// the C++ runtime and use jit::Error (result.h) instead; `make layers`
// refuses this header there.  Shared code in common/ that the guests link
// returns Error; a caller that may allocate turns one into a Failure with
// Failure(error) (its static text becomes the message) or by writing a
// message of its own around it.
#pragma once

#include <string>
#include <utility>

#include "jit/result.h"

namespace jit {

struct Failure {
    int code = 0;         // errno value: EIO, ENOENT, EACCES, ...
    std::string message;  // for a person; the whole text, without the place

    // Where in a file the failure lies, for errors about configuration,
    // policy and identity files: file (empty: nowhere), line (0: the file as
    // a whole) and key (empty: the line as a whole).
    struct Place {
        std::string file;
        int line = 0;
        std::string key;
    };
    Place place;

    Failure() = default;
    Failure(int c, std::string m) : code(c), message(std::move(m)) {}
    Failure(int c, std::string m, Place p) : code(c), message(std::move(m)), place(std::move(p)) {}
    explicit Failure(const Error& e) : code(e.code), message(e.what) {}

    // "file:line: key: message", the form every file error is reported in.
    // An error about a whole line (syntax, unknown section) has no key and
    // reads "file:line: message"; one about the whole file "file: message";
    // one with no place is its message.
    std::string to_string() const {
        if (place.file.empty()) return message;
        std::string out = place.file;
        if (place.line > 0) out += ":" + std::to_string(place.line);
        out += ": ";
        if (!place.key.empty()) out += place.key + ": ";
        return out + message;
    }
};

}  // namespace jit

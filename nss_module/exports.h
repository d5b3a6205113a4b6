// The C ABI of the "jit" NSS source: the functions glibc (and nss_wrapper)
// look up as _nss_jit_<function>.  Everything else in the module is hidden
// (-fvisibility=hidden and nss_jit.map).
#pragma once

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stddef.h>
#include <sys/types.h>

#define JIT_NSS_EXPORT extern "C" __attribute__((visibility("default")))

JIT_NSS_EXPORT nss_status _nss_jit_getpwnam_r(const char* name, passwd* pw, char* buf, size_t len,
                                              int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_getpwuid_r(uid_t uid, passwd* pw, char* buf, size_t len,
                                              int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_setpwent(int stayopen);
JIT_NSS_EXPORT nss_status _nss_jit_getpwent_r(passwd* pw, char* buf, size_t len, int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_endpwent(void);

JIT_NSS_EXPORT nss_status _nss_jit_getgrnam_r(const char* name, group* gr, char* buf, size_t len,
                                              int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_getgrgid_r(gid_t gid, group* gr, char* buf, size_t len,
                                              int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_setgrent(int stayopen);
JIT_NSS_EXPORT nss_status _nss_jit_getgrent_r(group* gr, char* buf, size_t len, int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_endgrent(void);

JIT_NSS_EXPORT nss_status _nss_jit_getspnam_r(const char* name, spwd* sp, char* buf, size_t len,
                                              int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_setspent(int stayopen);
JIT_NSS_EXPORT nss_status _nss_jit_getspent_r(spwd* sp, char* buf, size_t len, int* errnop);
JIT_NSS_EXPORT nss_status _nss_jit_endspent(void);

JIT_NSS_EXPORT nss_status _nss_jit_initgroups_dyn(const char* user, gid_t skip, long int* start,
                                                  long int* size, gid_t** groups, long int limit,
                                                  int* errnop);

// rxloop's native io_uring addon: a Node-API module, context-aware (one instance per worker thread, no
// process-wide state), so each reactor thread can own a ring. It exports the run-time probe and class Ring.
#include <linux/io_uring.h>
#include <fcntl.h>
#include <node_api.h>
#include <unistd.h>

#include <cerrno>

#include "binding.h"
#include "probe.h"

namespace {

#define RXLOOP_CHECK(env, call)                                     \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error((env), "ERR_NATIVE", "rxloop_uring: " #call); \
      return nullptr;                                               \
    }                                                               \
  } while (0)

bool setInt(napi_env env, napi_value object, const char* name, int64_t value) {
  napi_value v;
  return napi_create_int64(env, value, &v) == napi_ok && napi_set_named_property(env, object, name, v) == napi_ok;
}

bool setBool(napi_env env, napi_value object, const char* name, bool value) {
  napi_value v;
  return napi_get_boolean(env, value, &v) == napi_ok && napi_set_named_property(env, object, name, v) == napi_ok;
}

struct NamedOp {
  const char* name;
  unsigned op;
};

// The operations the backend is built from; the probe answers for each.
const NamedOp kOps[] = {
    {"accept", IORING_OP_ACCEPT},   {"connect", IORING_OP_CONNECT},     {"recv", IORING_OP_RECV},
    {"send", IORING_OP_SEND},       {"sendmsg", IORING_OP_SENDMSG},     {"shutdown", IORING_OP_SHUTDOWN},
    {"close", IORING_OP_CLOSE},     {"asyncCancel", IORING_OP_ASYNC_CANCEL}, {"pollAdd", IORING_OP_POLL_ADD},
    {"socket", IORING_OP_SOCKET},   {"sendZc", IORING_OP_SEND_ZC},      {"provideBuffers", IORING_OP_PROVIDE_BUFFERS},
};

napi_value Probe(napi_env env, napi_callback_info) {
  rxloop::UringProbe probe;
  rxloop::probeUring(probe);
  napi_value result, ops;
  RXLOOP_CHECK(env, napi_create_object(env, &result));
  RXLOOP_CHECK(env, napi_create_object(env, &ops));
  bool ok = setInt(env, result, "setupErrno", probe.setupErrno) &&
            setInt(env, result, "features", probe.features) &&
            setBool(env, result, "singleIssuer", probe.singleIssuer) &&
            setBool(env, result, "deferTaskrun", probe.deferTaskrun) &&
            setBool(env, result, "opsKnown", probe.opsKnown) && setInt(env, result, "opCount", probe.opCount) &&
            setInt(env, result, "pbufRingErrno", probe.pbufRingErrno);
  for (const NamedOp& op : kOps) ok = ok && setBool(env, ops, op.name, probe.ops[op.op]);
  if (!ok) {
    napi_throw_error(env, "ERR_NATIVE", "rxloop_uring: could not build the probe's answer");
    return nullptr;
  }
  RXLOOP_CHECK(env, napi_set_named_property(env, result, "ops", ops));
  return result;
}

// The first argument as a descriptor (-1 when it is not a number).
int32_t descriptorArgument(napi_env env, napi_callback_info info) {
  napi_value args[1];
  size_t argc = 1;
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, args[0], &fd) != napi_ok) {
    return -1;
  }
  return fd;
}

// `result` (>= 0) or -errno as a JavaScript number.
napi_value errnoResult(napi_env env, int result) {
  napi_value value;
  RXLOOP_CHECK(env, napi_create_int32(env, result < 0 ? -errno : result, &value));
  return value;
}

// A duplicate of a descriptor (close-on-exec), for a socket this thread accepted that another thread's ring will
// adopt: descriptors are the process's, so the number travels in a message; -errno where it cannot.
napi_value Duplicate(napi_env env, napi_callback_info info) {
  int32_t fd = descriptorArgument(env, info);
  if (fd < 0) return errnoResult(env, (errno = EBADF, -1));
  return errnoResult(env, fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

// Closes a descriptor that no ring tracks (a duplicate whose message found no thread to take it).
napi_value CloseDescriptor(napi_env env, napi_callback_info info) {
  int32_t fd = descriptorArgument(env, info);
  if (fd < 0) return errnoResult(env, (errno = EBADF, -1));
  return errnoResult(env, ::close(fd));
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  RXLOOP_CHECK(env, napi_create_function(env, "probe", NAPI_AUTO_LENGTH, Probe, nullptr, &fn));
  RXLOOP_CHECK(env, napi_set_named_property(env, exports, "probe", fn));
  RXLOOP_CHECK(env, napi_create_function(env, "duplicate", NAPI_AUTO_LENGTH, Duplicate, nullptr, &fn));
  RXLOOP_CHECK(env, napi_set_named_property(env, exports, "duplicate", fn));
  RXLOOP_CHECK(env, napi_create_function(env, "closeDescriptor", NAPI_AUTO_LENGTH, CloseDescriptor, nullptr, &fn));
  RXLOOP_CHECK(env, napi_set_named_property(env, exports, "closeDescriptor", fn));
  if (!rxloop::defineRing(env, exports)) {
    napi_throw_error(env, "ERR_NATIVE", "rxloop_uring: could not define class Ring");
    return nullptr;
  }
  return exports;
}

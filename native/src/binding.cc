// The JavaScript face of a Ring: class Ring in the addon's exports. One per JavaScript environment (the backend
// makes it), so every worker thread has its own ring, loop handles and buffers.
#include "binding.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "ring.h"

namespace rxloop {
namespace {

constexpr unsigned kMetaCapacity = 4096;

struct RingWrap {
  napi_env env = nullptr;
  napi_ref callback = nullptr;
  napi_ref resource = nullptr;
  napi_ref meta = nullptr;
  napi_async_context async = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  Ring ring;
  napi_handle_scope scope = nullptr;
  napi_value data = nullptr;
  bool closing = false;
  bool closed = false;
  bool finalized = false;
};

#define CHECK_OR_THROW(env, call)                                       \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error((env), "ERR_NATIVE", "rxloop_uring: " #call);    \
      return nullptr;                                                   \
    }                                                                   \
  } while (0)

napi_value number(napi_env env, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  return v;
}

int32_t int32At(napi_env env, napi_value* args, size_t argc, size_t index) {
  int32_t value = -1;
  if (index < argc) napi_get_value_int32(env, args[index], &value);
  return value;
}

bool boolAt(napi_env env, napi_value* args, size_t argc, size_t index) {
  bool value = false;
  if (index < argc) napi_get_value_bool(env, args[index], &value);
  return value;
}

std::string stringAt(napi_env env, napi_value* args, size_t argc, size_t index) {
  if (index >= argc) return std::string();
  size_t length = 0;
  if (napi_get_value_string_utf8(env, args[index], nullptr, 0, &length) != napi_ok) return std::string();
  std::string text(length, '\0');
  napi_get_value_string_utf8(env, args[index], &text[0], length + 1, &length);
  return text;
}

bool bytesAt(napi_env env, napi_value* args, size_t argc, size_t index, uint8_t** data, size_t* length) {
  if (index >= argc) return false;
  napi_typedarray_type type;
  void* raw = nullptr;
  napi_value arraybuffer;
  size_t offset;
  if (napi_get_typedarray_info(env, args[index], &type, length, &raw, &arraybuffer, &offset) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(raw);
  return true;
}

// Unwraps `this` and up to 4 arguments; throws when the ring is closed.
RingWrap* unwrap(napi_env env, napi_callback_info info, napi_value* args, size_t* argc) {
  napi_value self;
  if (napi_get_cb_info(env, info, argc, args, &self, nullptr) != napi_ok) return nullptr;
  void* wrap = nullptr;
  if (napi_unwrap(env, self, &wrap) != napi_ok || wrap == nullptr) {
    napi_throw_error(env, "ERR_NATIVE", "rxloop_uring: not a Ring");
    return nullptr;
  }
  RingWrap* ring = static_cast<RingWrap*>(wrap);
  if (ring->closing) {
    napi_throw_error(env, "ERR_CLOSED", "rxloop_uring: the ring is closed");
    return nullptr;
  }
  return ring;
}

#define METHOD(name, argcount)                                \
  napi_value name(napi_env env, napi_callback_info info) {   \
    napi_value args[argcount > 0 ? argcount : 1];            \
    size_t argc = argcount;                                  \
    RingWrap* w = unwrap(env, info, args, &argc);            \
    if (w == nullptr) return nullptr;                        \
    (void)args;

#define END }

// ---- delivery, from the poll callback (no JavaScript on the stack) ----

uint8_t* allocate(void* context, size_t length) {
  RingWrap* w = static_cast<RingWrap*>(context);
  if (w->scope == nullptr) napi_open_handle_scope(w->env, &w->scope);
  void* data = nullptr;
  if (napi_create_buffer(w->env, length, &data, &w->data) != napi_ok) {
    w->data = nullptr;
    return nullptr;
  }
  return static_cast<uint8_t*>(data);
}

void deliver(void* context, unsigned count) {
  RingWrap* w = static_cast<RingWrap*>(context);
  napi_env env = w->env;
  if (w->scope == nullptr) napi_open_handle_scope(env, &w->scope);
  napi_value resource, callback, args[2], result;
  napi_get_reference_value(env, w->resource, &resource);
  napi_get_reference_value(env, w->callback, &callback);
  args[0] = number(env, count);
  if (w->data != nullptr) args[1] = w->data;
  else napi_get_undefined(env, &args[1]);
  // make_callback: nextTick and microtasks run when it returns, as after any libuv callback into JavaScript.
  napi_status status = napi_make_callback(env, w->async, resource, callback, 2, args, &result);
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, w->scope);
  w->scope = nullptr;
  w->data = nullptr;
}

// ---- teardown ----

void releaseArena(napi_env, void*, void* hint) { Arena::release(static_cast<Arena*>(hint)); }

void releaseRefs(RingWrap* w) {
  if (w->async != nullptr) napi_async_destroy(w->env, w->async);
  if (w->callback != nullptr) napi_delete_reference(w->env, w->callback);
  if (w->resource != nullptr) napi_delete_reference(w->env, w->resource);
  if (w->meta != nullptr) napi_delete_reference(w->env, w->meta);
  w->async = nullptr;
  w->callback = w->resource = w->meta = nullptr;
}

void closed(void* context) {
  RingWrap* w = static_cast<RingWrap*>(context);
  w->closed = true;
  // No completion is delivered after this: the references go now. Kept, the strong one to the completion
  // callback (a closure over the JavaScript side, which holds this object) would keep a destroyed ring and its
  // tables alive until the process ends, and never finalized.
  releaseRefs(w);
  if (w->hook != nullptr) {
    napi_async_cleanup_hook_handle hook = w->hook;
    w->hook = nullptr;
    napi_remove_async_cleanup_hook(hook);
  }
  if (w->finalized) delete w;
}

void beginClose(RingWrap* w) {
  if (w->closing) return;
  w->closing = true;
  w->ring.close(closed, w);
}

void onEnvTeardown(napi_async_cleanup_hook_handle, void* context) {
  RingWrap* w = static_cast<RingWrap*>(context);
  // The environment goes away (a worker thread ends): JavaScript may no longer be called.
  w->ring.deliver = nullptr;
  releaseRefs(w);
  beginClose(w);
}

void finalize(napi_env, void* data, void*) {
  RingWrap* w = static_cast<RingWrap*>(data);
  w->finalized = true;
  w->ring.deliver = nullptr;
  if (!w->closing) beginClose(w);
  if (w->closed) delete w;
}

// ---- addresses ----

int toAddress(const std::string& host, int port, sockaddr_storage* out, socklen_t* length) {
  std::memset(out, 0, sizeof *out);
  sockaddr_in* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *length = sizeof *v4;
    return AF_INET;
  }
  sockaddr_in6* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *length = sizeof *v6;
    return AF_INET6;
  }
  return -EINVAL;
}

int toUnixAddress(const std::string& path, sockaddr_storage* out, socklen_t* length) {
  std::memset(out, 0, sizeof *out);
  sockaddr_un* un = reinterpret_cast<sockaddr_un*>(out);
  if (path.size() >= sizeof un->sun_path) return -ENAMETOOLONG;
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return AF_UNIX;
}

napi_value describe(napi_env env, const sockaddr_storage& address, socklen_t length) {
  napi_value result;
  napi_create_array_with_length(env, 3, &result);
  char text[INET6_ADDRSTRLEN] = {0};
  int kind = 0;
  int port = 0;
  napi_value where;
  if (address.ss_family == AF_INET) {
    const sockaddr_in* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    kind = 4;
    port = ntohs(v4->sin_port);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &where);
  } else if (address.ss_family == AF_INET6) {
    const sockaddr_in6* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    kind = 6;
    port = ntohs(v6->sin6_port);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &where);
  } else {
    const sockaddr_un* un = reinterpret_cast<const sockaddr_un*>(&address);
    size_t max = length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
    napi_create_string_utf8(env, un->sun_path, strnlen(un->sun_path, max), &where);
  }
  napi_set_element(env, result, 0, number(env, kind));
  napi_set_element(env, result, 1, where);
  napi_set_element(env, result, 2, number(env, port));
  return result;
}

int listenOn(int family, const sockaddr_storage& address, socklen_t length, int backlog, bool reusePort) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  if (family != AF_UNIX) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reusePort && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
      int error = -errno;
      close(fd);
      return error;
    }
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) < 0 || listen(fd, backlog) < 0) {
    int error = -errno;
    close(fd);
    return error;
  }
  return fd;
}

// ---- methods ----

METHOD(ListenInet, 4)
  std::string host = stringAt(env, args, argc, 0);
  sockaddr_storage address;
  socklen_t length;
  int family = toAddress(host, int32At(env, args, argc, 1), &address, &length);
  if (family < 0) return number(env, family);
  int fd = listenOn(family, address, length, int32At(env, args, argc, 2), boolAt(env, args, argc, 3));
  if (fd >= 0) w->ring.track(fd);
  return number(env, fd);
END

METHOD(ListenUnix, 2)
  sockaddr_storage address;
  socklen_t length;
  int family = toUnixAddress(stringAt(env, args, argc, 0), &address, &length);
  if (family < 0) return number(env, family);
  int fd = listenOn(AF_UNIX, address, length, int32At(env, args, argc, 1), false);
  if (fd >= 0) w->ring.track(fd);
  return number(env, fd);
END

METHOD(Socket, 1)
  int kind = int32At(env, args, argc, 0);
  int family = kind == 4 ? AF_INET : kind == 6 ? AF_INET6 : AF_UNIX;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return number(env, -errno);
  w->ring.track(fd);
  return number(env, fd);
END

METHOD(ConnectInet, 3)
  sockaddr_storage address;
  socklen_t length;
  int family = toAddress(stringAt(env, args, argc, 1), int32At(env, args, argc, 2), &address, &length);
  if (family < 0) return number(env, family);
  return number(env, w->ring.connect(int32At(env, args, argc, 0), reinterpret_cast<sockaddr*>(&address), length));
END

METHOD(ConnectUnix, 2)
  sockaddr_storage address;
  socklen_t length;
  int family = toUnixAddress(stringAt(env, args, argc, 1), &address, &length);
  if (family < 0) return number(env, family);
  return number(env, w->ring.connect(int32At(env, args, argc, 0), reinterpret_cast<sockaddr*>(&address), length));
END

METHOD(Address, 2)
  sockaddr_storage address;
  std::memset(&address, 0, sizeof address);
  socklen_t length = sizeof address;
  int fd = int32At(env, args, argc, 0);
  int result = boolAt(env, args, argc, 1) ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                                         : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (result < 0) return number(env, -errno);
  return describe(env, address, length);
END

METHOD(SetNoDelay, 2)
  int on = boolAt(env, args, argc, 1) ? 1 : 0;
  int result = setsockopt(int32At(env, args, argc, 0), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return number(env, result < 0 ? -errno : 0);
END

METHOD(SetLingerZero, 1)
  linger value{1, 0};
  int result = setsockopt(int32At(env, args, argc, 0), SOL_SOCKET, SO_LINGER, &value, sizeof value);
  return number(env, result < 0 ? -errno : 0);
END

METHOD(SocketError, 1)
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(int32At(env, args, argc, 0), SOL_SOCKET, SO_ERROR, &error, &length) < 0) return number(env, -errno);
  return number(env, -error);
END

METHOD(CloseNow, 1)
  int fd = int32At(env, args, argc, 0);
  w->ring.untrack(fd);
  return number(env, close(fd) < 0 ? -errno : 0);
END

METHOD(Adopt, 1)
  // A socket another thread or process accepted: our own descriptor for it, blocking (the ring does the waiting).
  int fd = fcntl(int32At(env, args, argc, 0), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return number(env, -errno);
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  w->ring.track(fd);
  return number(env, fd);
END

METHOD(Track, 1)
  w->ring.track(int32At(env, args, argc, 0));
  return nullptr;
END

METHOD(Accept, 1)
  return number(env, w->ring.accept(int32At(env, args, argc, 0)));
END

METHOD(RecvMultishot, 4)
  int32_t limit = int32At(env, args, argc, 3);
  return number(env, w->ring.recvMultishot(int32At(env, args, argc, 0), boolAt(env, args, argc, 1), boolAt(env, args, argc, 2),
                                           limit > 0 ? static_cast<uint32_t>(limit) : 0));
END

METHOD(GiveBack, 2)
  // An Int32Array of buffer ids and how many of them to take.
  napi_typedarray_type type;
  size_t length = 0;
  void* raw = nullptr;
  napi_value arraybuffer;
  size_t offset;
  if (argc < 1 || napi_get_typedarray_info(env, args[0], &type, &length, &raw, &arraybuffer, &offset) != napi_ok ||
      type != napi_int32_array) {
    return number(env, -EINVAL);
  }
  int32_t count = int32At(env, args, argc, 1);
  if (count < 0 || static_cast<size_t>(count) > length) return number(env, -EINVAL);
  return number(env, w->ring.giveBack(static_cast<const int32_t*>(raw), static_cast<unsigned>(count)));
END

METHOD(RecvInto, 2)
  uint8_t* data;
  size_t length;
  if (!bytesAt(env, args, argc, 1, &data, &length)) return number(env, -EINVAL);
  return number(env, w->ring.recvInto(int32At(env, args, argc, 0), data, static_cast<uint32_t>(length)));
END

METHOD(Send, 2)
  uint8_t* data;
  size_t length;
  if (!bytesAt(env, args, argc, 1, &data, &length)) return number(env, -EINVAL);
  return number(env, w->ring.send(int32At(env, args, argc, 0), data, static_cast<uint32_t>(length)));
END

METHOD(Sendv, 2)
  uint32_t count = 0;
  if (argc < 2 || napi_get_array_length(env, args[1], &count) != napi_ok || count == 0) return number(env, -EINVAL);
  std::vector<iovec> parts;
  parts.reserve(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    napi_get_element(env, args[1], i, &element);
    uint8_t* data;
    size_t length;
    napi_value one[1] = {element};
    if (!bytesAt(env, one, 1, 0, &data, &length)) return number(env, -EINVAL);
    parts.push_back(iovec{data, length});
  }
  return number(env, w->ring.sendv(int32At(env, args, argc, 0), parts));
END

METHOD(Shutdown, 2)
  return number(env, w->ring.shutdown(int32At(env, args, argc, 0), int32At(env, args, argc, 1)));
END

METHOD(CloseFd, 1)
  return number(env, w->ring.closeFd(int32At(env, args, argc, 0)));
END

METHOD(Cancel, 1)
  return number(env, w->ring.cancel(int32At(env, args, argc, 0)));
END

METHOD(Abandon, 1)
  return number(env, w->ring.abandon(int32At(env, args, argc, 0)));
END

METHOD(Submit, 0)
  return number(env, w->ring.submit());
END

METHOD(Stats, 0)
  napi_value result;
  napi_create_object(env, &result);
  const RingStats& s = w->ring.stats;
  napi_set_named_property(env, result, "enters", number(env, static_cast<double>(s.enters)));
  napi_set_named_property(env, result, "submitted", number(env, static_cast<double>(s.submitted)));
  napi_set_named_property(env, result, "completions", number(env, static_cast<double>(s.completions)));
  napi_set_named_property(env, result, "batches", number(env, static_cast<double>(s.batches)));
  napi_set_named_property(env, result, "bufferBytes", number(env, static_cast<double>(s.bufferBytes)));
  napi_set_named_property(env, result, "overflows", number(env, static_cast<double>(s.overflows)));
  napi_set_named_property(env, result, "buffersLent", number(env, w->ring.buffersLent()));
  napi_set_named_property(env, result, "lent", number(env, static_cast<double>(s.lent)));
  napi_set_named_property(env, result, "refusedReturns", number(env, static_cast<double>(s.refusedReturns)));
  napi_set_named_property(env, result, "bufferCount", number(env, w->ring.bufferCount()));
  napi_set_named_property(env, result, "bufferSize", number(env, w->ring.bufferSize()));
  napi_set_named_property(env, result, "buffersInKernelUse", number(env, w->ring.buffersInKernelUse()));
  napi_set_named_property(env, result, "setupFlags", number(env, w->ring.flags()));
  return result;
END

METHOD(Destroy, 0)
  w->ring.deliver = nullptr;
  beginClose(w);
  return nullptr;
END

napi_value Construct(napi_env env, napi_callback_info info) {
  napi_value args[4];
  size_t argc = 4;
  napi_value self;
  CHECK_OR_THROW(env, napi_get_cb_info(env, info, &argc, args, &self, nullptr));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, args[0], &type);
  if (type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARGUMENT", "rxloop_uring: expected a completion callback");
    return nullptr;
  }
  unsigned entries = static_cast<unsigned>(int32At(env, args, argc, 1));
  unsigned bufferCount = static_cast<unsigned>(int32At(env, args, argc, 2));
  unsigned bufferSize = static_cast<unsigned>(int32At(env, args, argc, 3));
  if (entries == 0 || entries > 32768 || bufferCount == 0 || bufferCount > 32768 || (bufferCount & (bufferCount - 1)) != 0 ||
      bufferSize == 0 || bufferSize > (1u << 20)) {
    napi_throw_range_error(env, "ERR_INVALID_ARGUMENT", "rxloop_uring: ring sizes out of range");
    return nullptr;
  }
  RingWrap* w = new RingWrap();
  w->env = env;
  napi_value meta;
  void* metaData = nullptr;
  uv_loop_t* loop = nullptr;
  if (napi_create_arraybuffer(env, kMetaCapacity * kMetaFields * sizeof(int32_t), &metaData, &meta) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok) {
    delete w;
    napi_throw_error(env, "ERR_NATIVE", "rxloop_uring: cannot allocate the ring's tables");
    return nullptr;
  }
  int opened = w->ring.open(loop, entries, bufferCount, bufferSize, static_cast<int32_t*>(metaData), kMetaCapacity);
  if (opened < 0) {
    delete w;
    napi_value error, code, message;
    napi_create_string_utf8(env, "ERR_URING_SETUP", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(-opened), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_set_named_property(env, error, "errno", number(env, opened));
    napi_throw(env, error);
    return nullptr;
  }
  w->closing = false;
  napi_value name;
  napi_create_string_utf8(env, "rxloop:uring", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, args[0], 1, &w->callback);
  napi_create_reference(env, self, 0, &w->resource);
  napi_create_reference(env, meta, 1, &w->meta);
  napi_async_init(env, self, name, &w->async);
  napi_set_named_property(env, self, "meta", meta);
  napi_value capped;
  napi_get_boolean(env, w->ring.cappedReceives(), &capped);
  napi_set_named_property(env, self, "cappedReceives", capped);
  // The provided buffers as one ArrayBuffer, for leases that are views of them. Node-API may refuse external
  // memory (a V8 sandbox build): then `arena` stays undefined and receives are copied out instead.
  Arena* arena = w->ring.arena();
  if (arena != nullptr) {
    napi_value memory;
    arena->owners++;
    if (napi_create_external_arraybuffer(env, arena->memory, arena->bytes, releaseArena, arena, &memory) == napi_ok) {
      napi_set_named_property(env, self, "arena", memory);
    } else {
      arena->owners--;
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
  w->ring.deliver = deliver;
  w->ring.allocate = allocate;
  w->ring.deliverContext = w;
  napi_add_async_cleanup_hook(env, onEnvTeardown, w, &w->hook);
  napi_wrap(env, self, w, finalize, nullptr, nullptr);
  return self;
}

}  // namespace

bool defineRing(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"listenInet", nullptr, ListenInet, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"listenUnix", nullptr, ListenUnix, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"socket", nullptr, Socket, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"connectInet", nullptr, ConnectInet, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"connectUnix", nullptr, ConnectUnix, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"address", nullptr, Address, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setNoDelay", nullptr, SetNoDelay, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setLingerZero", nullptr, SetLingerZero, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"socketError", nullptr, SocketError, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"closeNow", nullptr, CloseNow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adopt", nullptr, Adopt, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"track", nullptr, Track, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"accept", nullptr, Accept, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"recvMultishot", nullptr, RecvMultishot, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"giveBack", nullptr, GiveBack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"recvInto", nullptr, RecvInto, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sendv", nullptr, Sendv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"shutdown", nullptr, Shutdown, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"closeFd", nullptr, CloseFd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cancel", nullptr, Cancel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abandon", nullptr, Abandon, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"submit", nullptr, Submit, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroy", nullptr, Destroy, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value ring;
  if (napi_define_class(env, "Ring", NAPI_AUTO_LENGTH, Construct, nullptr, sizeof methods / sizeof methods[0], methods, &ring) !=
      napi_ok) {
    return false;
  }
  return napi_set_named_property(env, exports, "Ring", ring) == napi_ok;
}

}  // namespace rxloop

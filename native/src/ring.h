// One io_uring instance, owned by one JavaScript environment (the main thread or one worker thread), watched by
// that environment's libuv loop. Raw system calls and the kernel's UAPI header only (no liburing).
#pragma once

#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <unordered_set>
#include <vector>

namespace rxloop {

// What one submitted request needs to outlive its submission (its SQE points at these).
struct Slot {
  enum Kind : uint8_t { kFree = 0, kReported = 1, kInternal = 2 };
  Kind kind = kFree;
  // A receive into a caller's buffer that the caller gave up on: its bytes, if it completed anyway, were copied
  // into `stash` at once, so the buffer may be reused by its owner.
  bool abandoned = false;
  bool stashed = false;
  // An accept: each of its completions with a result >= 0 is a descriptor the kernel already installed.
  bool accepts = false;
  // A buffer-select receive whose buffers are lent to JavaScript as views (not copied out, not recycled here):
  // each comes back through giveBack.
  bool views = false;
  uint8_t* target = nullptr;
  uint32_t targetLength = 0;
  std::vector<uint8_t> stash;
  std::vector<iovec> iov;
  msghdr msg{};
  sockaddr_storage address{};
  socklen_t addressLength = 0;
};

struct RingStats {
  uint64_t enters = 0;        // io_uring_enter calls
  uint64_t submitted = 0;     // SQEs the kernel took
  uint64_t completions = 0;   // CQEs reaped
  uint64_t batches = 0;       // calls into JavaScript
  uint64_t bufferBytes = 0;   // bytes received into the provided buffer ring
  uint64_t overflows = 0;     // times the CQ overflowed (flushed with GETEVENTS)
  uint64_t lent = 0;          // provided buffers lent to JavaScript as views, all told
  uint64_t refusedReturns = 0;  // giveBack ids that were not lent (a double return, or never lent): ignored
};

// The provided buffers' memory: shared by the ring and, once JavaScript has a view of it, by the ArrayBuffer
// over it, so it stays mapped while either still uses it (a lease may outlive its ring).
struct Arena {
  uint8_t* memory = nullptr;
  size_t bytes = 0;
  int owners = 0;
  // Drops one owner; the last one unmaps the memory and frees the arena.
  static void release(Arena* arena);
};

class Ring {
 public:
  // The delivery callback: called once per batch with the number of meta records written.
  using Deliver = void (*)(void* context, unsigned count);
  // Called before a batch with the bytes it holds: returns where to copy them (a JavaScript buffer).
  using Allocate = uint8_t* (*)(void* context, size_t length);

  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Sets the ring up; returns 0 or -errno.
  int open(uv_loop_t* loop, unsigned entries, unsigned bufferCount, unsigned bufferSize, int32_t* meta, unsigned metaCapacity);
  // Stops watching and frees everything; sockets the ring still knows are closed. `done` runs once libuv let go.
  void close(void (*done)(void*), void* context);

  // Each returns the slot (> 0) the request completes on, or -errno.
  int accept(int fd);
  int connect(int fd, const sockaddr* address, socklen_t length);
  // `views`: the buffers this receive completes into are lent to JavaScript (record[3] is the buffer id, the
  // record's flags carry kMetaView) and come back through giveBack. `limit` (0: none) caps the bytes a
  // multishot receive takes in all before it ends (the kernel's total-length cap).
  int recvMultishot(int fd, bool multishot, bool views, uint32_t limit);
  int recvInto(int fd, uint8_t* target, uint32_t length);
  int send(int fd, const uint8_t* data, uint32_t length);
  int sendv(int fd, const std::vector<iovec>& parts);
  int shutdown(int fd, int how);
  int closeFd(int fd);
  // Cancels the request on `slot` (an internal request; its own completion is not reported).
  int cancel(int slot);
  // Cancels a receive into a caller's buffer now, copying what it already received, so the caller may reuse it.
  int abandon(int slot);
  // Hands the queued requests to the kernel now.
  int submit();
  // Puts lent buffers back in the buffer ring; ids that are not lent now are ignored and counted. Returns how
  // many went back.
  unsigned giveBack(const int32_t* ids, unsigned count);
  // The memory of the provided buffers (the caller adds itself as an owner to keep it).
  Arena* arena() const { return arena_; }
  unsigned buffersLent() const { return lentNow_; }
  // Whether the kernel ends a multishot receive once it took `limit` bytes (probed at open, on a socket pair).
  bool cappedReceives() const { return cappedReceives_; }

  void track(int fd) { fds_.insert(fd); }
  void untrack(int fd) { fds_.erase(fd); }

  Deliver deliver = nullptr;
  Allocate allocate = nullptr;
  void* deliverContext = nullptr;
  RingStats stats;
  unsigned bufferCount() const { return bufferCount_; }
  unsigned bufferSize() const { return bufferSize_; }
  // Buffers the kernel holds now (taken from the ring and not yet given back), or -errno where it cannot say.
  int buffersInKernelUse();
  unsigned flags() const { return setupFlags_; }

  // Reaps every completion and delivers them in batches (the poll callback; public for an explicit drain).
  void drain();
  // Closes the descriptors of accept completions still in the completion queue (at teardown).
  void closeUnseenAccepts();

 private:
  io_uring_sqe* sqe();
  int newSlot(Slot::Kind kind);
  int enter(unsigned toSubmit, unsigned minComplete, unsigned flags);
  void recycle(uint16_t bid);
  bool probeCappedReceive();
  void updateRef();
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onPrepare(uv_prepare_t* handle);
  static void onClosed(uv_handle_t* handle);

  int fd_ = -1;
  unsigned setupFlags_ = 0;
  void* ringMemory_ = nullptr;
  size_t ringBytes_ = 0;
  void* cqMemory_ = nullptr;
  size_t cqBytes_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqeBytes_ = 0;
  unsigned* sqHead_ = nullptr;
  unsigned* sqTail_ = nullptr;
  unsigned* sqFlags_ = nullptr;
  unsigned* sqArray_ = nullptr;
  unsigned sqMask_ = 0;
  unsigned sqEntries_ = 0;
  unsigned sqLocalTail_ = 0;
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  unsigned cqMask_ = 0;
  io_uring_cqe* cqes_ = nullptr;

  io_uring_buf_ring* bufferRing_ = nullptr;
  size_t bufferRingBytes_ = 0;
  uint8_t* bufferMemory_ = nullptr;
  Arena* arena_ = nullptr;
  std::vector<uint8_t> lentMap_;
  unsigned lentNow_ = 0;
  bool cappedReceives_ = false;
  unsigned bufferCount_ = 0;
  unsigned bufferSize_ = 0;
  uint16_t bufferTail_ = 0;

  // A deque, not a vector: a request's SQE points into its slot (a sendmsg's msghdr and iovecs, a connect's
  // address) until the kernel reads them at submission, and growing a vector would move the slots under it.
  std::deque<Slot> slots_;
  std::vector<int> freeSlots_;
  std::vector<int> finished_;
  std::unordered_set<int> fds_;
  uint64_t inflight_ = 0;
  bool draining_ = false;
  bool referenced_ = false;
  int32_t* meta_ = nullptr;
  unsigned metaCapacity_ = 0;
  std::vector<uint8_t> scratch_;

  uv_poll_t poll_{};
  uv_prepare_t prepare_{};
  int openHandles_ = 0;
  void (*closeDone_)(void*) = nullptr;
  void* closeContext_ = nullptr;
};

// Values of the third meta field besides the CQE flags.
constexpr unsigned kMetaFields = 4;  // slot, res, flags, data offset (-1: no bytes in `data`)
// In a record's flags: its bytes are in a lent provided buffer, whose id is the record's fourth field.
constexpr int32_t kMetaView = 1 << 16;

}  // namespace rxloop

#include "ring.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rxloop {
namespace {

int sysSetup(unsigned entries, io_uring_params* params) {
  long fd = syscall(__NR_io_uring_setup, entries, params);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int sysRegister(int fd, unsigned opcode, void* arg, unsigned count) {
  long result = syscall(__NR_io_uring_register, fd, opcode, arg, count);
  return result < 0 ? -errno : static_cast<int>(result);
}

template <typename T>
T* at(void* base, unsigned offset) {
  return reinterpret_cast<T*>(static_cast<uint8_t*>(base) + offset);
}

// The ring's entries, by hand: in C++ the header's flexible-array wrapper puts `bufs` 8 bytes in (an empty
// struct has size 1 there), which is not where the kernel reads them. The tail overlays entry 0's `resv`.
io_uring_buf& entryAt(io_uring_buf_ring* ring, unsigned index) {
  return reinterpret_cast<io_uring_buf*>(ring)[index];
}

unsigned loadAcquire(const unsigned* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void storeRelease(unsigned* p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

}  // namespace

void Arena::release(Arena* arena) {
  if (arena == nullptr || --arena->owners > 0) return;
  if (arena->memory != nullptr) munmap(arena->memory, arena->bytes);
  delete arena;
}

int Ring::open(uv_loop_t* loop, unsigned entries, unsigned bufferCount, unsigned bufferSize, int32_t* meta,
               unsigned metaCapacity) {
  io_uring_params params;
  std::memset(&params, 0, sizeof params);
  // A completion queue four times the submission queue: multishot receives post many CQEs per SQE. Not
  // DEFER_TASKRUN: libuv waits in epoll, not in io_uring_enter, and deferred completions would not wake it.
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  params.cq_entries = entries * 4;
  int fd = sysSetup(entries, &params);
  if (fd < 0) return fd;
  fd_ = fd;
  setupFlags_ = params.flags;
  if ((params.features & IORING_FEAT_SINGLE_MMAP) == 0 || (params.features & IORING_FEAT_NODROP) == 0) {
    ::close(fd_);
    fd_ = -1;
    return -ENOSYS;
  }
  ringBytes_ = std::max(params.sq_off.array + params.sq_entries * sizeof(unsigned),
                        params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe));
  ringMemory_ = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (ringMemory_ == MAP_FAILED) {
    int error = -errno;
    ringMemory_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    return error;
  }
  sqeBytes_ = params.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqeBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    int error = -errno;
    munmap(ringMemory_, ringBytes_);
    ringMemory_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    return error;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  sqHead_ = at<unsigned>(ringMemory_, params.sq_off.head);
  sqTail_ = at<unsigned>(ringMemory_, params.sq_off.tail);
  sqFlags_ = at<unsigned>(ringMemory_, params.sq_off.flags);
  sqArray_ = at<unsigned>(ringMemory_, params.sq_off.array);
  sqMask_ = *at<unsigned>(ringMemory_, params.sq_off.ring_mask);
  sqEntries_ = *at<unsigned>(ringMemory_, params.sq_off.ring_entries);
  sqLocalTail_ = *sqTail_;
  cqHead_ = at<unsigned>(ringMemory_, params.cq_off.head);
  cqTail_ = at<unsigned>(ringMemory_, params.cq_off.tail);
  cqMask_ = *at<unsigned>(ringMemory_, params.cq_off.ring_mask);
  cqes_ = at<io_uring_cqe>(ringMemory_, params.cq_off.cqes);

  // The provided buffer ring: the memory multishot receives complete into (group 0).
  bufferCount_ = bufferCount;
  bufferSize_ = bufferSize;
  bufferRingBytes_ = bufferCount * sizeof(io_uring_buf);
  void* ring = mmap(nullptr, bufferRingBytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, -1, 0);
  size_t memoryBytes = static_cast<size_t>(bufferCount) * bufferSize;
  void* memory = mmap(nullptr, memoryBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring == MAP_FAILED || memory == MAP_FAILED) {
    int error = -errno;
    if (ring != MAP_FAILED) munmap(ring, bufferRingBytes_);
    if (memory != MAP_FAILED) munmap(memory, memoryBytes);
    munmap(sqes_, sqeBytes_);
    munmap(ringMemory_, ringBytes_);
    ::close(fd_);
    fd_ = -1;
    return error;
  }
  bufferRing_ = static_cast<io_uring_buf_ring*>(ring);
  bufferMemory_ = static_cast<uint8_t*>(memory);
  arena_ = new Arena();
  arena_->memory = bufferMemory_;
  arena_->bytes = memoryBytes;
  arena_->owners = 1;
  lentMap_.assign(bufferCount, 0);
  // Every buffer goes in before the ring is registered, so the kernel pins pages that already hold them.
  for (unsigned i = 0; i < bufferCount; i++) {
    io_uring_buf& buf = entryAt(bufferRing_, i);
    buf.addr = reinterpret_cast<uint64_t>(bufferMemory_ + static_cast<size_t>(i) * bufferSize);
    buf.len = bufferSize;
    buf.bid = static_cast<uint16_t>(i);
  }
  bufferTail_ = static_cast<uint16_t>(bufferCount);
  __atomic_store_n(&bufferRing_->tail, bufferTail_, __ATOMIC_RELEASE);
  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(bufferRing_);
  reg.ring_entries = bufferCount;
  reg.bgid = 0;
  int registered = sysRegister(fd_, IORING_REGISTER_PBUF_RING, &reg, 1);
  if (registered < 0) {
    munmap(ring, bufferRingBytes_);
    Arena::release(arena_);
    arena_ = nullptr;
    bufferRing_ = nullptr;
    bufferMemory_ = nullptr;
    munmap(sqes_, sqeBytes_);
    munmap(ringMemory_, ringBytes_);
    ::close(fd_);
    fd_ = -1;
    return registered;
  }

  meta_ = meta;
  metaCapacity_ = metaCapacity;
  slots_.resize(1);  // slot 0 is never used: a zero user_data means "none"
  cappedReceives_ = probeCappedReceive();

  uv_poll_init(loop, &poll_, fd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, onPoll);
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  uv_prepare_init(loop, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, onPrepare);
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  openHandles_ = 2;
  return 0;
}

// A multishot receive with a total cap (the SQE's optlen; 6.16 on, by the probe rather than the version): two
// bytes wait on a socket pair and the cap is one byte. A kernel that knows the cap ends the request with its
// first completion; an older one stays armed (no end of input came), and is cancelled. Every completion is reaped here, before
// the ring is watched, and the buffer it used goes back.
bool Ring::probeCappedReceive() {
  constexpr uint64_t kProbe = ~0ull;
  constexpr uint64_t kProbeCancel = ~0ull - 1;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return false;
  bool capped = false;
  const char two[2] = {'a', 'b'};
  io_uring_sqe* entry = ::write(pair[1], two, 2) == 2 ? sqe() : nullptr;
  if (entry != nullptr) {
    entry->opcode = IORING_OP_RECV;
    entry->fd = pair[0];
    entry->flags = IOSQE_BUFFER_SELECT;
    entry->buf_group = 0;
    entry->ioprio = IORING_RECV_MULTISHOT;
    entry->file_index = 1;  // optlen: the cap
    entry->user_data = kProbe;
    storeRelease(sqTail_, sqLocalTail_);
    bool armed = true;
    bool first = true;
    bool cancelled = false;
    for (int rounds = 0; armed && rounds < 8; rounds++) {
      int entered;
      do {
        entered = enter(sqLocalTail_ - loadAcquire(sqHead_), 1, IORING_ENTER_GETEVENTS);
      } while (entered == -EINTR);
      if (entered < 0) break;
      unsigned head = *cqHead_;
      unsigned tail = loadAcquire(cqTail_);
      for (; head != tail; head++) {
        const io_uring_cqe& cqe = cqes_[head & cqMask_];
        if (cqe.user_data != kProbe) continue;
        if ((cqe.flags & IORING_CQE_F_BUFFER) != 0) recycle(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
        bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
        // Capped: the receive ended with its first completion although no end of input came (each receive may
        // still fill its whole buffer: the cap ends the request once the bytes reach it).
        if (first) capped = cqe.res > 0 && !more;
        first = false;
        if (!more) armed = false;
      }
      storeRelease(cqHead_, tail);
      __atomic_store_n(&bufferRing_->tail, bufferTail_, __ATOMIC_RELEASE);
      if (armed && !first && !cancelled) {
        io_uring_sqe* cancel = sqe();
        if (cancel == nullptr) break;
        cancel->opcode = IORING_OP_ASYNC_CANCEL;
        cancel->fd = -1;
        cancel->addr = kProbe;
        cancel->user_data = kProbeCancel;
        storeRelease(sqTail_, sqLocalTail_);
        cancelled = true;
      }
    }
  }
  ::close(pair[0]);
  ::close(pair[1]);
  stats = RingStats();
  return capped;
}

void Ring::close(void (*done)(void*), void* context) {
  closeDone_ = done;
  closeContext_ = context;
  if (fd_ < 0) {
    if (done != nullptr) done(context);
    return;
  }
  // Sockets first (their requests end with the ring), then the ring, whose teardown cancels what is left.
  // A close asked for in this turn may still sit in the submission queue, where the kernel would never see
  // it: those descriptors are closed here, and every queued entry becomes a no-op (the buffers of queued
  // sends and receives go with JavaScript).
  for (unsigned at = loadAcquire(sqHead_); at != sqLocalTail_; at++) {
    io_uring_sqe* entry = &sqes_[sqArray_[at & sqMask_]];
    if (entry->opcode == IORING_OP_CLOSE && entry->fd >= 0) ::close(entry->fd);
    uint64_t data = entry->user_data;
    std::memset(entry, 0, sizeof *entry);
    entry->opcode = IORING_OP_NOP;
    entry->user_data = data;
  }
  // Armed accepts go first and at once: a connection the kernel accepted that JavaScript has not seen (its
  // completion still queued when a worker thread ends) is a descriptor nobody would close.
  for (size_t i = 1; i < slots_.size(); i++) {
    if (slots_[i].kind == Slot::kReported && slots_[i].accepts) cancel(static_cast<int>(i));
  }
  storeRelease(sqTail_, sqLocalTail_);
  int entered;
  do {
    entered = enter(sqLocalTail_ - loadAcquire(sqHead_), 0, IORING_ENTER_GETEVENTS);
  } while (entered == -EINTR);
  closeUnseenAccepts();
  for (int fd : fds_) ::close(fd);
  fds_.clear();
  uv_poll_stop(&poll_);
  uv_prepare_stop(&prepare_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), onClosed);
}

void Ring::closeUnseenAccepts() {
  for (;;) {
    if ((loadAcquire(sqFlags_) & IORING_SQ_CQ_OVERFLOW) != 0) enter(0, 0, IORING_ENTER_GETEVENTS);
    unsigned head = *cqHead_;
    unsigned tail = loadAcquire(cqTail_);
    if (head == tail) return;
    for (unsigned i = head; i != tail; i++) {
      const io_uring_cqe& cqe = cqes_[i & cqMask_];
      if (cqe.user_data < slots_.size() && slots_[cqe.user_data].accepts && cqe.res >= 0) ::close(cqe.res);
    }
    storeRelease(cqHead_, tail);
  }
}

void Ring::onClosed(uv_handle_t* handle) {
  Ring* ring = static_cast<Ring*>(handle->data);
  if (--ring->openHandles_ > 0) return;
  // Anything accepted since close() began (none is expected: the accepts were cancelled) is closed too.
  ring->closeUnseenAccepts();
  if (ring->bufferRing_ != nullptr) {
    io_uring_buf_reg reg;
    std::memset(&reg, 0, sizeof reg);
    sysRegister(ring->fd_, IORING_UNREGISTER_PBUF_RING, &reg, 1);
  }
  ::close(ring->fd_);
  ring->fd_ = -1;
  if (ring->sqes_ != nullptr) munmap(ring->sqes_, ring->sqeBytes_);
  if (ring->ringMemory_ != nullptr) munmap(ring->ringMemory_, ring->ringBytes_);
  if (ring->bufferRing_ != nullptr) munmap(ring->bufferRing_, ring->bufferRingBytes_);
  // The buffers' memory stays mapped while JavaScript may still hold views of it (the ArrayBuffer's owner).
  Arena::release(ring->arena_);
  ring->arena_ = nullptr;
  ring->sqes_ = nullptr;
  ring->ringMemory_ = nullptr;
  ring->bufferRing_ = nullptr;
  ring->bufferMemory_ = nullptr;
  if (ring->closeDone_ != nullptr) ring->closeDone_(ring->closeContext_);
}

int Ring::enter(unsigned toSubmit, unsigned minComplete, unsigned flags) {
  stats.enters++;
  long result = syscall(__NR_io_uring_enter, fd_, toSubmit, minComplete, flags, nullptr, 0);
  if (result < 0) return -errno;
  stats.submitted += static_cast<uint64_t>(result);
  return static_cast<int>(result);
}

int Ring::submit() {
  if (fd_ < 0) return -EBADF;
  storeRelease(sqTail_, sqLocalTail_);
  unsigned pending = sqLocalTail_ - loadAcquire(sqHead_);
  if (pending == 0) return 0;
  int result;
  do {
    result = enter(pending, 0, 0);
  } while (result == -EINTR);
  // EBUSY/EAGAIN: the completion queue is backed up; the entries stay queued and go on the next turn, after the
  // completions were reaped.
  return result;
}

io_uring_sqe* Ring::sqe() {
  if (fd_ < 0) return nullptr;
  if (sqLocalTail_ - loadAcquire(sqHead_) >= sqEntries_) {
    submit();
    if (sqLocalTail_ - loadAcquire(sqHead_) >= sqEntries_) return nullptr;
  }
  unsigned index = sqLocalTail_ & sqMask_;
  io_uring_sqe* entry = &sqes_[index];
  std::memset(entry, 0, sizeof *entry);
  sqArray_[index] = index;
  sqLocalTail_++;
  return entry;
}

int Ring::newSlot(Slot::Kind kind) {
  int slot;
  if (!freeSlots_.empty()) {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    slot = static_cast<int>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.kind = kind;
  s.abandoned = false;
  s.accepts = false;
  s.views = false;
  s.stashed = false;
  s.target = nullptr;
  s.targetLength = 0;
  inflight_++;
  updateRef();
  return slot;
}

// One macro-free helper per request kind: take an SQE and a slot, or report why not.
#define RXLOOP_SQE(kind)            \
  io_uring_sqe* entry = sqe();      \
  if (entry == nullptr) return -EBUSY; \
  int slot = newSlot(kind);         \
  entry->user_data = static_cast<uint64_t>(slot)

int Ring::accept(int fd) {
  RXLOOP_SQE(Slot::kReported);
  entry->opcode = IORING_OP_ACCEPT;
  entry->fd = fd;
  slots_[slot].accepts = true;
  entry->ioprio = IORING_ACCEPT_MULTISHOT;
  entry->accept_flags = SOCK_CLOEXEC;
  return slot;
}

int Ring::connect(int fd, const sockaddr* address, socklen_t length) {
  RXLOOP_SQE(Slot::kReported);
  Slot& s = slots_[slot];
  std::memcpy(&s.address, address, length);
  s.addressLength = length;
  entry->opcode = IORING_OP_CONNECT;
  entry->fd = fd;
  entry->addr = reinterpret_cast<uint64_t>(&s.address);
  entry->off = length;
  return slot;
}

int Ring::recvMultishot(int fd, bool multishot, bool views, uint32_t limit) {
  RXLOOP_SQE(Slot::kReported);
  slots_[slot].views = views;
  // The kernel reads the cap from `optlen`, which shares its place with `file_index` (older headers lack the name).
  if (limit > 0) entry->file_index = limit;
  entry->opcode = IORING_OP_RECV;
  entry->fd = fd;
  entry->flags = IOSQE_BUFFER_SELECT;
  entry->buf_group = 0;
  entry->ioprio = multishot ? IORING_RECV_MULTISHOT : 0;
  return slot;
}

int Ring::recvInto(int fd, uint8_t* target, uint32_t length) {
  RXLOOP_SQE(Slot::kReported);
  Slot& s = slots_[slot];
  s.target = target;
  s.targetLength = length;
  entry->opcode = IORING_OP_RECV;
  entry->fd = fd;
  entry->addr = reinterpret_cast<uint64_t>(target);
  entry->len = length;
  return slot;
}

int Ring::send(int fd, const uint8_t* data, uint32_t length) {
  RXLOOP_SQE(Slot::kReported);
  entry->opcode = IORING_OP_SEND;
  entry->fd = fd;
  entry->addr = reinterpret_cast<uint64_t>(data);
  entry->len = length;
  entry->msg_flags = MSG_NOSIGNAL;
  return slot;
}

int Ring::sendv(int fd, const std::vector<iovec>& parts) {
  RXLOOP_SQE(Slot::kReported);
  Slot& s = slots_[slot];
  s.iov = parts;
  std::memset(&s.msg, 0, sizeof s.msg);
  s.msg.msg_iov = s.iov.data();
  s.msg.msg_iovlen = s.iov.size();
  entry->opcode = IORING_OP_SENDMSG;
  entry->fd = fd;
  entry->addr = reinterpret_cast<uint64_t>(&s.msg);
  entry->len = 1;
  entry->msg_flags = MSG_NOSIGNAL;
  return slot;
}

int Ring::shutdown(int fd, int how) {
  RXLOOP_SQE(Slot::kReported);
  entry->opcode = IORING_OP_SHUTDOWN;
  entry->fd = fd;
  entry->len = static_cast<uint32_t>(how);
  return slot;
}

int Ring::closeFd(int fd) {
  RXLOOP_SQE(Slot::kReported);
  entry->opcode = IORING_OP_CLOSE;
  entry->fd = fd;
  fds_.erase(fd);
  return slot;
}

int Ring::cancel(int target) {
  RXLOOP_SQE(Slot::kInternal);
  entry->opcode = IORING_OP_ASYNC_CANCEL;
  entry->fd = -1;
  entry->addr = static_cast<uint64_t>(target);
  return slot;
}

int Ring::abandon(int target) {
  if (target <= 0 || static_cast<size_t>(target) >= slots_.size() || slots_[target].kind != Slot::kReported) return -EINVAL;
  int cancelled = cancel(target);
  if (cancelled < 0) return cancelled;
  Slot& s = slots_[target];
  s.abandoned = true;
  // Submit the cancel and run the kernel's pending work now: afterwards the receive has either been cancelled
  // or completed, and the kernel no longer writes into the caller's buffer.
  storeRelease(sqTail_, sqLocalTail_);
  int result;
  do {
    result = enter(sqLocalTail_ - loadAcquire(sqHead_), 0, IORING_ENTER_GETEVENTS);
  } while (result == -EINTR);
  unsigned head = *cqHead_;
  unsigned tail = loadAcquire(cqTail_);
  for (unsigned i = head; i != tail; i++) {
    const io_uring_cqe& cqe = cqes_[i & cqMask_];
    if (cqe.user_data != static_cast<uint64_t>(target)) continue;
    if (cqe.res > 0 && s.target != nullptr) s.stash.assign(s.target, s.target + cqe.res);
    else s.stash.clear();
    s.stashed = true;
    break;
  }
  s.target = nullptr;
  return 0;
}

void Ring::recycle(uint16_t bid) {
  io_uring_buf& buf = entryAt(bufferRing_, bufferTail_ & (bufferCount_ - 1));
  buf.addr = reinterpret_cast<uint64_t>(bufferMemory_ + static_cast<size_t>(bid) * bufferSize_);
  buf.len = bufferSize_;
  buf.bid = bid;
  bufferTail_++;
}

unsigned Ring::giveBack(const int32_t* ids, unsigned count) {
  if (bufferRing_ == nullptr) return 0;
  unsigned returned = 0;
  for (unsigned i = 0; i < count; i++) {
    int32_t id = ids[i];
    if (id < 0 || static_cast<unsigned>(id) >= bufferCount_ || lentMap_[id] == 0) {
      stats.refusedReturns++;
      continue;
    }
    lentMap_[id] = 0;
    lentNow_--;
    recycle(static_cast<uint16_t>(id));
    returned++;
  }
  if (returned > 0) __atomic_store_n(&bufferRing_->tail, bufferTail_, __ATOMIC_RELEASE);
  return returned;
}

int Ring::buffersInKernelUse() {
  // IORING_REGISTER_PBUF_STATUS (6.8): where the kernel's head is in the buffer ring.
  struct {
    uint32_t bufGroup;
    uint32_t head;
    uint32_t resv[8];
  } status;
  std::memset(&status, 0, sizeof status);
  int result = sysRegister(fd_, 26, &status, 1);
  if (result < 0) return result;
  // Entries the kernel consumed and we have not put back: the ring holds bufferCount_ when all are home.
  unsigned available = static_cast<uint16_t>(bufferTail_ - static_cast<uint16_t>(status.head));
  return static_cast<int>(bufferCount_ - available);
}

void Ring::updateRef() {
  bool want = inflight_ > 0;
  if (want == referenced_ || openHandles_ == 0 || fd_ < 0) return;
  referenced_ = want;
  if (want) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
  else uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
}

void Ring::drain() {
  if (draining_ || fd_ < 0) return;
  draining_ = true;
  for (;;) {
    if ((loadAcquire(sqFlags_) & IORING_SQ_CQ_OVERFLOW) != 0) {
      // The kernel kept completions that did not fit (FEAT_NODROP): entering with GETEVENTS moves them in.
      stats.overflows++;
      enter(0, 0, IORING_ENTER_GETEVENTS);
    }
    unsigned head = *cqHead_;
    unsigned tail = loadAcquire(cqTail_);
    if (head == tail) break;
    unsigned count = std::min(tail - head, metaCapacity_);
    size_t bytes = 0;
    for (unsigned i = 0; i < count; i++) {
      const io_uring_cqe& cqe = cqes_[(head + i) & cqMask_];
      if (cqe.user_data >= slots_.size()) continue;
      const Slot& s = slots_[cqe.user_data];
      if (s.kind != Slot::kReported) continue;
      if ((cqe.flags & IORING_CQE_F_BUFFER) != 0 && cqe.res > 0 && !s.views) bytes += static_cast<size_t>(cqe.res);
      else if (s.abandoned && s.stashed) bytes += s.stash.size();
    }
    uint8_t* data = nullptr;
    if (bytes > 0) {
      data = allocate(deliverContext, bytes);
      if (data == nullptr) {
        // Out of memory for the batch: receive into scratch so the buffers still go back; the bytes are lost
        // and every receive in this batch reports ENOMEM instead.
        scratch_.resize(bytes);
        data = scratch_.data();
      }
    }
    bool lost = data == scratch_.data() && bytes > 0;
    size_t offset = 0;
    unsigned out = 0;
    bool recycled = false;
    for (unsigned i = 0; i < count; i++) {
      const io_uring_cqe& cqe = cqes_[(head + i) & cqMask_];
      if (cqe.user_data >= slots_.size()) {
        // Not a slot of ours (a setup probe's straggler): its buffer, if any, goes back.
        if ((cqe.flags & IORING_CQE_F_BUFFER) != 0) {
          recycle(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
          recycled = true;
        }
        continue;
      }
      int slot = static_cast<int>(cqe.user_data);
      Slot& s = slots_[slot];
      bool terminal = (cqe.flags & IORING_CQE_F_MORE) == 0;
      stats.completions++;
      if (terminal) {
        finished_.push_back(slot);
        inflight_--;
      }
      if ((cqe.flags & IORING_CQE_F_BUFFER) != 0) {
        uint16_t bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
        int32_t res = cqe.res;
        int32_t where = -1;
        if (s.kind == Slot::kReported && s.views && res > 0 && bid < bufferCount_ && lentMap_[bid] == 0) {
          // Lent as it is: JavaScript reads the kernel's bytes in place and gives the buffer back when done.
          lentMap_[bid] = 1;
          lentNow_++;
          stats.lent++;
          stats.bufferBytes += static_cast<uint64_t>(res);
          int32_t* record = meta_ + out * kMetaFields;
          record[0] = slot;
          record[1] = res;
          record[2] = static_cast<int32_t>(cqe.flags & 0xffff) | kMetaView;
          record[3] = bid;
          out++;
          continue;
        }
        if (s.kind == Slot::kReported && res > 0) {
          std::memcpy(data + offset, bufferMemory_ + static_cast<size_t>(bid) * bufferSize_, static_cast<size_t>(res));
          where = static_cast<int32_t>(offset);
          offset += static_cast<size_t>(res);
          stats.bufferBytes += static_cast<uint64_t>(res);
        }
        recycle(bid);
        recycled = true;
        if (s.kind != Slot::kReported) continue;
        int32_t* record = meta_ + out * kMetaFields;
        record[0] = slot;
        record[1] = lost && res > 0 ? -ENOMEM : res;
        record[2] = static_cast<int32_t>(cqe.flags & 0xffff);
        record[3] = where;
        out++;
        continue;
      }
      if (s.kind != Slot::kReported) continue;
      // An accepted descriptor is the ring's from here: if JavaScript never takes it (a thread ending before its
      // callback could run), the ring's teardown closes it with the others it tracks.
      if (s.accepts && cqe.res >= 0) track(cqe.res);
      int32_t* record = meta_ + out * kMetaFields;
      record[0] = slot;
      record[1] = cqe.res;
      record[2] = static_cast<int32_t>(cqe.flags & 0xffff);
      record[3] = -1;
      if (s.abandoned && s.stashed) {
        // An abandoned receive into a caller's buffer: its bytes, copied at `abandon`, travel in `data`.
        if (!s.stash.empty()) {
          std::memcpy(data + offset, s.stash.data(), s.stash.size());
          record[1] = lost ? -ENOMEM : static_cast<int32_t>(s.stash.size());
          record[3] = static_cast<int32_t>(offset);
          offset += s.stash.size();
        } else if (cqe.res > 0) {
          record[1] = 0 - ECANCELED;
        }
      }
      out++;
    }
    storeRelease(cqHead_, head + count);
    if (recycled) __atomic_store_n(&bufferRing_->tail, bufferTail_, __ATOMIC_RELEASE);
    if (out > 0 && deliver != nullptr) {
      stats.batches++;
      deliver(deliverContext, out);
    }
    for (int slot : finished_) {
      Slot& s = slots_[slot];
      s.kind = Slot::kFree;
      s.abandoned = false;
      s.stashed = false;
      s.accepts = false;
      s.views = false;
      s.target = nullptr;
      std::vector<uint8_t>().swap(s.stash);
      std::vector<iovec>().swap(s.iov);
      freeSlots_.push_back(slot);
    }
    finished_.clear();
    if (fd_ < 0) break;
  }
  draining_ = false;
  updateRef();
}

void Ring::onPoll(uv_poll_t* handle, int status, int) {
  if (status < 0) return;
  static_cast<Ring*>(handle->data)->drain();
}

void Ring::onPrepare(uv_prepare_t* handle) {
  Ring* ring = static_cast<Ring*>(handle->data);
  // Completions posted while JavaScript ran (a drain already under way) are picked up before the loop blocks.
  ring->submit();
}

}  // namespace rxloop

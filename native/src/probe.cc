#include "probe.h"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rxloop {
namespace {

int setup(unsigned entries, io_uring_params* params) {
  long fd = syscall(__NR_io_uring_setup, entries, params);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int registerOp(int fd, unsigned opcode, void* arg, unsigned count) {
  long result = syscall(__NR_io_uring_register, fd, opcode, arg, count);
  return result < 0 ? -errno : static_cast<int>(result);
}

// A setup flag is supported when a ring with it can be made (EINVAL otherwise).
bool acceptsFlags(unsigned flags) {
  io_uring_params params;
  std::memset(&params, 0, sizeof params);
  params.flags = flags;
  int fd = setup(4, &params);
  if (fd < 0) return false;
  close(fd);
  return true;
}

void probeOps(int fd, UringProbe& out) {
  const size_t size = sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op);
  auto* probe = static_cast<io_uring_probe*>(std::calloc(1, size));
  if (probe == nullptr) return;
  if (registerOp(fd, IORING_REGISTER_PROBE, probe, 256) == 0) {
    out.opsKnown = true;
    out.opCount = probe->ops_len;
    for (unsigned i = 0; i < probe->ops_len && i < 256; i++) {
      out.ops[probe->ops[i].op] = (probe->ops[i].flags & IO_URING_OP_SUPPORTED) != 0;
    }
  }
  std::free(probe);
}

// Registers a small provided buffer ring (the memory the kernel picks receive buffers from), then removes it.
void probeBufferRing(int fd, UringProbe& out) {
  const unsigned entries = 8;
  const size_t bytes = entries * sizeof(io_uring_buf);
  void* ring = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring == MAP_FAILED) {
    out.pbufRingErrno = errno;
    return;
  }
  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(ring);
  reg.ring_entries = entries;
  reg.bgid = 0;
  int result = registerOp(fd, IORING_REGISTER_PBUF_RING, &reg, 1);
  out.pbufRingErrno = result < 0 ? -result : 0;
  if (result == 0) {
    io_uring_buf_reg unreg;
    std::memset(&unreg, 0, sizeof unreg);
    unreg.bgid = 0;
    registerOp(fd, IORING_UNREGISTER_PBUF_RING, &unreg, 1);
  }
  munmap(ring, bytes);
}

}  // namespace

void probeUring(UringProbe& out) {
  io_uring_params params;
  std::memset(&params, 0, sizeof params);
  int fd = setup(8, &params);
  if (fd < 0) {
    out.setupErrno = -fd;
    return;
  }
  out.features = params.features;
  probeOps(fd, out);
  probeBufferRing(fd, out);
  close(fd);
  out.singleIssuer = acceptsFlags(IORING_SETUP_SINGLE_ISSUER);
  out.deferTaskrun = acceptsFlags(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
}

}  // namespace rxloop

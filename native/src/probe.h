// What the running kernel's io_uring offers, found by asking it (never by its version string).
#pragma once

#include <cstdint>

namespace rxloop {

struct UringProbe {
  int setupErrno = 0;         // 0: io_uring_setup works; else the errno it failed with (ENOSYS, EPERM, ...)
  uint32_t features = 0;      // IORING_FEAT_* bits the kernel reported
  bool singleIssuer = false;  // IORING_SETUP_SINGLE_ISSUER accepted
  bool deferTaskrun = false;  // IORING_SETUP_DEFER_TASKRUN accepted (with SINGLE_ISSUER)
  bool opsKnown = false;      // IORING_REGISTER_PROBE answered
  uint8_t opCount = 0;        // ops the probe covered
  bool ops[256] = {};         // ops[IORING_OP_x]: supported
  int pbufRingErrno = -1;     // 0: a provided buffer ring registered and unregistered; else errno; -1 not tried
};

// Fills `out`; every ring it opens is closed, every mapping unmapped.
void probeUring(UringProbe& out);

}  // namespace rxloop

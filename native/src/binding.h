#pragma once

#include <node_api.h>

namespace rxloop {

// Adds class Ring (one io_uring, its loop handles and its provided buffers) to the addon's exports.
bool defineRing(napi_env env, napi_value exports);

}  // namespace rxloop

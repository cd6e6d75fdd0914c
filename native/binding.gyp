{
  "targets": [
    {
      "target_name": "rxloop_uring",
      "sources": ["src/addon.cc", "src/probe.cc", "src/ring.cc", "src/binding.cc"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror=return-type", "-fno-exceptions", "-g"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none", "sources": []}]]
    }
  ]
}

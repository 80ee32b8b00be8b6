{
  "targets": [
    {
      "target_name": "clawtop",
      "sources": [
        "native/addon.cc",
        "native/bpf_session.cc",
        "native/hooks.cc",
        "native/ring_drainer.cc",
        "native/libbpf_log.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "build/bpf",
        "bpf"
      ],
      "libraries": ["-lbpf", "-lelf", "-lz"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_ADDON_API_CPP_EXCEPTIONS"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"]
    }
  ]
}

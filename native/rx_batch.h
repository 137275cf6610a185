// The datagrams of one hand-over to JavaScript, gathered natively between two turns of the event loop:
// a metadata record for each (the layout lib/native.ts mirrors, kRecordWords words per datagram) and
// their bytes, in blocks that JavaScript sees as ArrayBuffers and makes Buffer views of.
//
// One copy: the reader puts each datagram straight into its place in a block (RxLanding), and the
// block itself becomes the ArrayBuffer. A block is memory that the native side and JavaScript own
// together (RxBlock): the native side while it may still read into it, each ArrayBuffer over it until
// that is collected. So a block outlives whatever JavaScript does to its ArrayBuffer (a detached or
// transferred one takes none of the native side's memory away), and no pointer into JavaScript's
// memory is ever kept.
//
// Blocks are slabs of 64 KiB, which the datagrams of batch after batch fill, each whole in one slab,
// past the bytes already handed over: a Buffer JavaScript keeps keeps at most its slab alive, and no
// byte it can see is ever overwritten. A datagram over 32 KiB gets a block of its own instead: in a
// slab it would leave much of it unused behind it, and it pins only itself. What JavaScript can see of
// a slab is the bytes of the datagrams handed over from it, and zeros: a datagram the receiver's
// filter dropped is cleared, never shown.
//
// Copies that remain, each on a path that is not the flood's: a datagram longer than the room it
// was read into (its tail went to the reader's overflow) is copied whole to the next place that holds
// it, or to its own block when it is over 32 KiB; and where a runtime refuses ArrayBuffers over
// native memory, or JavaScript detached a slab's ArrayBuffer before the slab was full, the batch's
// bytes are copied into an ArrayBuffer of the runtime's own.
#pragma once
#include <napi.h>

#include <memory>
#include <vector>

#include "os/rx_reader.h"

namespace mce {

// Layout of one metadata record (uint32 words); keep in step with lib/native.ts.
enum RxRecordWord : uint32_t {
  kOffset = 0,       // byte offset of the data in its buffer
  kLength = 1,       // bytes of data
  kFlags = 2,        // kFlagTruncated | kFlagTimestamp
  kGroupId = 3,      // the id JavaScript gave the group in setMembership()
  kIfindex = 4,      // arrival interface
  kSourcePort = 5,
  kSourceScope = 6,  // IPv6 scope id of the source
  kSourceAddr = 7,   // 4 words: the source address bytes (IPv4 uses the first)
  kTimeSecLow = 11,
  kTimeSecHigh = 12,
  kTimeNsec = 13,
  kBuffer = 14,      // which of the batch's buffers (onBatch's arguments after count) holds the data
  kRecordWords = 16,
};
enum RxRecordFlags : uint32_t { kFlagTruncated = 1, kFlagTimestamp = 2 };

// The memory of a receiver's slabs that every owner let go of, kept for its next slabs. Memory fresh
// from the OS costs a page fault for each 4 KiB page the first time it is written, so every new slab
// of a burst paid 16 of them: draining a full queue of 1200-byte datagrams took most of its time in
// faults (several times what C takes to read the same queue), and a virtual machine's faults cost
// the most. Kept: at most kMaxIdleSlabs (64 slabs, 4 MiB, about one full batch's worth), and nothing
// once the receiver is closed. Used on the JavaScript thread only: the batch takes and gives there,
// and Node runs the finalizers of the ArrayBuffers over the slabs (which give the last shares back)
// on the thread of the environment that made them.
class RxSlabPool {
 public:
  RxSlabPool();
  // Zeroed memory for one slab: idle memory cleared, or new.
  std::unique_ptr<unsigned char[]> Take();
  // Keeps `bytes` (a slab's) for a later Take, or frees it when enough is kept or the pool is closed.
  void Give(std::unique_ptr<unsigned char[]> bytes);
  // Frees what is kept and keeps nothing from now on (the receiver is closed).
  void Close();

 private:
  std::vector<std::unique_ptr<unsigned char[]>> idle_;
  bool closed_ = false;
};

// Zeroed memory that JavaScript sees through ArrayBuffers (see ArrayBufferOf in rx_batch.cc): a slab,
// whose memory goes back to its pool when the last share of it is let go of, or a block of its own.
class RxBlock {
 public:
  explicit RxBlock(size_t size);
  explicit RxBlock(std::shared_ptr<RxSlabPool> pool);
  ~RxBlock();
  RxBlock(const RxBlock&) = delete;
  RxBlock& operator=(const RxBlock&) = delete;
  unsigned char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<unsigned char[]> bytes_;
  size_t size_;
  std::shared_ptr<RxSlabPool> pool_;
};

class RxBatch {
 public:
  // At most `maxRecords` datagrams per batch.
  explicit RxBatch(size_t maxRecords);
  ~RxBatch();
  RxBatch(const RxBatch&) = delete;
  RxBatch& operator=(const RxBatch&) = delete;

  size_t count() const { return count_; }
  // Whether the batch should be handed over before the next Read: fewer records left than one Read
  // can return, or more bytes gathered than is worth holding back.
  bool full() const;
  size_t recordsLeft() const { return maxRecords_ - count_; }

  // Where the next Read puts its datagrams: the current slab's free part, or a new slab's when the
  // current one has less left than a datagram is expected to need.
  RxLanding NextLanding(size_t maxMessageSize);
  // For each datagram of a Read into `landing`, in order, one of the two: Add (the receiver takes it,
  // for group `groupId`) or Discard (the filter dropped it; its bytes are cleared). Then EndRead.
  void Add(const RxLanding& landing, const RawDatagram& d, uint32_t groupId);
  void Discard(const RxLanding& landing, const RawDatagram& d);
  void EndRead(const RxLanding& landing, const std::vector<RawDatagram>& read);

  // Hands the batch over: copies the records into `meta` and appends to `buffers` the ArrayBuffer of
  // every block they name, in the order of their kBuffer words. Runs no JavaScript. False when `meta`
  // was detached or shrunk (by JavaScript, between two batches): then nothing is handed over and the
  // batch is dropped. Either way the batch is empty afterwards.
  bool HandOver(Napi::Env env, Napi::ArrayBuffer meta, std::vector<napi_value>& buffers);
  // Forgets the batch (not handed over): its bytes are cleared and their room is used again.
  void Drop();
  // Lets go of every block (the receiver is closed); JavaScript's ArrayBuffers keep theirs. The
  // memory kept for new slabs is freed, and so is a slab's once JavaScript lets go of it.
  void Release();

 private:
  // A block that this batch has datagrams in, and where in it they are.
  struct Part {
    std::shared_ptr<RxBlock> block;
    size_t from = 0;
    size_t to = 0;
    // A slab's ArrayBuffer from an earlier batch, kept for this one when the slab was let go of
    // before the hand-over.
    Napi::Reference<Napi::ArrayBuffer> view;
  };
  // The slab being filled.
  struct Slab {
    std::shared_ptr<RxBlock> block;
    size_t used = 0;                          // bytes taken, a multiple of 8
    Napi::Reference<Napi::ArrayBuffer> view;  // its ArrayBuffer, once JavaScript has been given it
    int part = -1;                            // its index in parts_ while this batch has datagrams in it
  };
  // A datagram longer than the room it was read into, to be copied whole once its Read is done.
  struct Spill {
    size_t record;
    size_t offset;
    size_t landed;
    size_t length;
    const unsigned char* overflow;
  };

  uint32_t* Record(size_t i) { return records_.data() + i * kRecordWords; }
  // The index in parts_ of the current slab, from `offset` on.
  uint32_t SlabPart(size_t offset);
  // Starts a new slab; the old one is let go of, its ArrayBuffer kept for this batch if it is in it.
  void NewSlab();
  // Puts `length` bytes (the first `landed` at `head`, the rest at `tail`) whole into a slab, or into
  // a block of their own, and points record `record` at them.
  void Place(size_t record, const unsigned char* head, size_t landed, const unsigned char* tail, size_t length);
  // The ArrayBuffer that shows part `i` to JavaScript in this hand-over.
  Napi::Value ViewOf(Napi::Env env, size_t i);
  void Clear();

  size_t maxRecords_;
  size_t count_ = 0;
  size_t bytes_ = 0;
  std::vector<uint32_t> records_;
  std::vector<Part> parts_;
  Slab slab_;
  std::shared_ptr<RxSlabPool> pool_ = std::make_shared<RxSlabPool>();
  std::vector<Spill> spills_;
  // The size datagrams are expected to have (the largest that went into a slab in the last Read):
  // what each one is given of a slab where the OS reads several at once.
  size_t expected_;
};

}  // namespace mce

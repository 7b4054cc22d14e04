#include "store/blobs.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <tuple>

#include "format/reuse_pool.h"

namespace mutua::store {

namespace {

// Large blobs (received envoi, responses, their JSON, the verdicts) are kept as zstd frames: a
// 100k-line envoi comes with a 120 MB response made mostly of blanks and zeros, and writing
// it through the WAL twice was most of an adjudication's time. A zstd frame starts with its
// magic number; a billing file or JSON never does, so rows written uncompressed still read.
constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

// Frame buffers of at least this size are kept: a frame touches only its own pages of a buffer
// sized for the worst case (157 MB for a 100k-line envoi's 920900, whose frame is 3 MB), and
// each blob's were faulted in afresh, 4 KiB at a time: a third of the page faults of
// bench/engine.sh's batch.
constexpr size_t kFrameBufferKept = size_t{1} << 20;

// The kept frame buffers, by size. Never destroyed: a frame may go at exit.
class FrameBuffers {
 public:
  static FrameBuffers& kept() {
    static auto* buffers = new FrameBuffers;
    return *buffers;
  }

  // The smallest kept buffer of at least `size` bytes, else a new one with an eighth more room
  // (the next envoi's blobs are a little larger or smaller).
  FrameBuffer take(size_t size) {
    if (size >= kFrameBufferKept) {
      std::lock_guard lock(mutex_);
      auto best = kept_.end();
      for (auto it = kept_.begin(); it != kept_.end(); ++it)
        if (it->size >= size && (best == kept_.end() || it->size < best->size)) best = it;
      if (best != kept_.end()) {
        FrameBuffer b(best->bytes.release(), FrameBufferDeleter{best->size});
        kept_.erase(best);
        return b;
      }
      size += size / 8;
    }
    return FrameBuffer(new char[size], FrameBufferDeleter{size});
  }

  // Keeps `buffer` of `size` bytes; past kMost, the smallest goes.
  void give_back(char* buffer, size_t size) {
    std::unique_ptr<char[]> bytes(buffer);
    if (size < kFrameBufferKept) return;
    std::lock_guard lock(mutex_);
    kept_.push_back({std::move(bytes), size});
    if (kept_.size() <= kMost) return;
    kept_.erase(std::min_element(kept_.begin(), kept_.end(), [](const Kept& a, const Kept& b) { return a.size < b.size; }));
  }

 private:
  struct Kept {
    std::unique_ptr<char[]> bytes;
    size_t size;
  };
  // An envoi's blobs: its received file, verdicts, responses and their JSON, two envois at a time.
  static constexpr size_t kMost = 8;
  std::mutex mutex_;
  std::vector<Kept> kept_;
};

}  // namespace

void FrameBufferDeleter::operator()(char* buffer) const {
  FrameBuffers::kept().give_back(buffer, size);
}

Packed packed(std::string_view raw) {
  const bool looks_packed = raw.size() >= 4 && std::memcmp(raw.data(), kZstdMagic, 4) == 0;
  if (raw.size() < 512 && !looks_packed) return {nullptr, raw};
  // The bound is as large as the input; an uninitialised buffer means only the pages the
  // small compressed frame touches are ever faulted in (a zeroed std::string touched them all).
  const size_t bound = ZSTD_compressBound(raw.size());
  Packed p{FrameBuffers::kept().take(bound), {}};
  // Level 1 with a hash table of 2^10 entries instead of its 2^13: what is stored is made of
  // fixed-width records, whose matches are a record or two back, which a small table that stays
  // in the core's first cache keeps as well. On a received envoi, its 920900 and its JSON (both
  // worlds of bench/): 11-20 % faster and 5-12 % smaller frames. One context per thread (blobs
  // are packed on several at once), kept from one blob to the next: in a pool, since the threads
  // that pack are made for each envoi.
  struct Context {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ~Context() { ZSTD_freeCCtx(cctx); }
  };
  static ReusePool<Context> contexts(8);
  ReusePool<Context>::Lease context(contexts, [] { return std::make_unique<Context>(); });
  if (!context->cctx) return {nullptr, raw};  // out of memory: kept as it is
  ZSTD_CCtx_reset(context->cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(context->cctx, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(context->cctx, ZSTD_c_hashLog, 10);
  const size_t n = ZSTD_compress2(context->cctx, p.owned.get(), bound, raw.data(), raw.size());
  if (!ZSTD_isError(n) && (n < raw.size() || looks_packed)) {
    p.bytes = std::string_view(p.owned.get(), n);
    return p;
  }
  return {nullptr, raw};
}

Result<std::string> unpacked(std::string blob) {
  if (blob.size() < 4 || std::memcmp(blob.data(), kZstdMagic, 4) != 0) return blob;
  unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return fail({.code = "Z00200", .message = "a stored blob is damaged (zstd frame without size)"});
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
  if (ZSTD_isError(n) || n != size)
    return fail({.code = "Z00200", .message = std::string("a stored blob is damaged: ") + ZSTD_getErrorName(n)});
  return out;
}

std::optional<uint64_t> frame_size(std::string_view blob) {
  if (blob.size() < 4 || std::memcmp(blob.data(), kZstdMagic, 4) != 0) return std::nullopt;
  const unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return std::nullopt;
  return size;
}

std::future<PackedOutcome> pack_outcome(const model::EnvoiOutcome& o) {
  return std::async(std::launch::async, [&o] {
    // The received file and the verdicts are packed on another core while the responses are
    // built; each response's bytes beside its JSON.
    auto early = std::async(std::launch::async, [&o] { return std::pair{packed(o.received_bytes), packed(o.verdicts_json)}; });
    PackedOutcome p;
    const auto& responses = o.build_responses ? o.build_responses() : o.responses;
    for (const auto& r : responses) {
      auto json = std::async(std::launch::async, [&r] { return packed(r.json); });
      PackedResponse packed_response{r.message, packed(r.bytes), {}};
      packed_response.json = json.get();
      p.responses.push_back(std::move(packed_response));
    }
    std::tie(p.received, p.verdicts) = early.get();
    return p;
  });
}

}  // namespace mutua::store

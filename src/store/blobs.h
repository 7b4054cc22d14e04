// Large blobs (received envoi, responses, their JSON, the verdicts) as every store keeps them:
// zstd frames, or the bytes themselves when compressing does not make them smaller. Internal
// to src/store/.
#pragma once
#include <future>
#include <memory>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "mutua/error.h"
#include "mutua/model/store.h"

namespace mutua::store {

// The buffer a frame is compressed into, as large as the input may need, given back for the
// next blob when the frame goes (FrameBufferDeleter, blobs.cpp).
struct FrameBufferDeleter {
  size_t size = 0;
  void operator()(char* buffer) const;
};
using FrameBuffer = std::unique_ptr<char[], FrameBufferDeleter>;

// A blob as stored: compressed into its own buffer, or the raw bytes themselves (viewed, not
// copied) when compressing does not make them smaller (junk, small values).
struct Packed {
  FrameBuffer owned;
  std::string_view bytes;
};

Packed packed(std::string_view raw);
// The bytes of a stored blob (a zstd frame unpacked, anything else as it is).
Result<std::string> unpacked(std::string blob);
// What a zstd frame says it unpacks to; nullopt for bytes that are no zstd frame saying its size.
std::optional<uint64_t> frame_size(std::string_view blob);

// An envoi's blobs, packed: its received bytes, its verdicts, its responses.
struct PackedResponse {
  std::string message;
  Packed bytes, json;
};
struct PackedOutcome {
  Packed received, verdicts;
  std::vector<PackedResponse> responses;
};
// Packs them on another core (while the history lines go in); the packed blobs may view the
// outcome's own bytes, so `o` must outlive the result.
std::future<PackedOutcome> pack_outcome(const model::EnvoiOutcome& o);

}  // namespace mutua::store

// The blobs a fold has seen and not used yet: a kBlob input (a bot's config JSON) is kept by
// its id until the operator command that names it takes it. The strategy and the risk stage
// both fold kBlob inputs this way and snapshot what they still hold.
//
// Snapshot bytes (what both stages always wrote): count u32, then per blob in id order
// {id u64, text as u32 length + bytes}.
//
// Thread-safety: none (owned by one stage). Allocation: keeping and loading a blob allocate
// (configs are operator inputs, off the market-data hot path).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/event.hpp"
#include "core/state_io.hpp"

namespace be {

// Waiting blobs by blob id; ordered so that snapshots and hashes are deterministic.
using SeenBlobs = std::map<std::uint64_t, std::string>;

// Keeps a kBlob input's bytes under its id (a later blob with the same id replaces it).
// A reference without data or over BlobRef::kMaxSize is not a blob this build reads: ignored.
inline void keep_blob(SeenBlobs& blobs, const BlobRef& blob) {
  if (blob.data != nullptr && blob.size <= BlobRef::kMaxSize) {
    blobs[blob.blob_id].assign(reinterpret_cast<const char*>(blob.data), blob.size);
  }
}

// Takes the blob out (each config is used once), or nothing when it never came.
inline std::optional<std::string> take_blob(SeenBlobs& blobs, std::uint64_t id) {
  const auto found = blobs.find(id);
  if (found == blobs.end()) return std::nullopt;
  std::string text = std::move(found->second);
  blobs.erase(found);
  return text;
}

// Writes the blobs to a state_io sink (Writer, Sizer, Hasher).
template <class Sink>
void save_blobs(Sink& out, const SeenBlobs& blobs) {
  out.put(static_cast<std::uint32_t>(blobs.size()));
  for (const auto& [id, text] : blobs) {
    out.put(id);
    out.put_string(text);
  }
}

// Reads what save_blobs wrote, adding it to `blobs`; false when the bytes end first.
inline bool load_blobs(state_io::Reader& in, SeenBlobs& blobs) {
  const auto n = in.get<std::uint32_t>();
  for (std::uint32_t k = 0; k < n && in.ok(); ++k) {
    const auto id = in.get<std::uint64_t>();
    std::string text = in.get_string();
    if (in.ok()) blobs[id] = std::move(text);
  }
  return in.ok();
}

}  // namespace be

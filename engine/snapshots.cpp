// The engine snapshot's format (the replica takes the snapshots: replica.cpp), and the
// lifetime of journaled blobs.
#include <cstring>

#include "engine/engine_impl.hpp"

namespace be::engine {

std::vector<std::byte> engine_snapshot(std::span<const std::byte> fold_bytes,
                                       std::span<const std::byte> history,
                                       std::string_view deployment) {
  constexpr std::size_t kHeader = kSnapshotMagic.size() + 4 + 8 + 8;
  std::vector<std::byte> out(kHeader + fold_bytes.size() + history.size() + deployment.size());
  std::byte* p = out.data();
  const std::uint64_t fold_size = fold_bytes.size();
  const std::uint64_t history_size = history.size();
  std::memcpy(p, kSnapshotMagic.data(), kSnapshotMagic.size());
  std::memcpy(p + 4, &kSnapshotVersion, 4);
  std::memcpy(p + 8, &fold_size, 8);
  std::memcpy(p + 16, &history_size, 8);
  p += kHeader;
  if (!fold_bytes.empty()) std::memcpy(p, fold_bytes.data(), fold_size);
  if (!history.empty()) std::memcpy(p + fold_size, history.data(), history_size);
  if (!deployment.empty())
    std::memcpy(p + fold_size + history_size, deployment.data(), deployment.size());
  return out;
}

SnapshotParts split_snapshot(std::span<const std::byte> bytes) {
  SnapshotParts parts;
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kSnapshotMagic.data(), 4) != 0) {
    parts.fold = bytes;
    return parts;
  }
  std::uint32_t version = 0;
  std::uint64_t fold_size = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&fold_size, bytes.data() + 8, 8);
  if (version == 1 && fold_size <= bytes.size() - 16) {
    parts.fold = bytes.subspan(16, fold_size);
    parts.history = bytes.subspan(16 + fold_size);
    return parts;
  }
  std::uint64_t history_size = 0;
  if (version != kSnapshotVersion || bytes.size() < 24) {
    parts.ok = false;
    return parts;
  }
  std::memcpy(&history_size, bytes.data() + 16, 8);
  const std::size_t body = bytes.size() - 24;
  if (fold_size > body || history_size > body - fold_size) {
    parts.ok = false;
    return parts;
  }
  parts.fold = bytes.subspan(24, fold_size);
  parts.history = bytes.subspan(24 + fold_size, history_size);
  const auto text = bytes.subspan(24 + fold_size + history_size);
  parts.deployment = {reinterpret_cast<const char*>(text.data()), text.size()};
  return parts;
}

// The bytes stay here until the replica has applied the kBlob record, which it does once the
// journal committed it (replica_follow()).
BlobRef Engine::Impl::keep_blob(std::uint32_t kind, const std::string& bytes) {
  BlobRef ref;
  ref.blob_id = next_blob.fetch_add(1);
  ref.kind = kind;
  auto owned = std::make_unique<std::string>(bytes);
  ref.size = static_cast<std::uint32_t>(owned->size());
  ref.data = reinterpret_cast<const std::byte*>(owned->data());
  std::lock_guard lock(blob_mutex);
  blobs[ref.blob_id] = std::move(owned);
  return ref;
}

}  // namespace be::engine

// Small integer ids. Symbols, venues and bots are interned once, by journaled definition
// events, so hot records carry 2- or 4-byte ids instead of strings, and a replay rebuilds
// exactly the same ids in the same order.
#pragma once

#include <cstdint>
#include <type_traits>

namespace be {

using Nanos = std::int64_t;            // nanoseconds since the Unix epoch (UTC)
using SequenceNumber = std::uint64_t;  // 1-based; 0 means "not sequenced yet"

enum class InstrumentId : std::uint32_t {};
enum class VenueId : std::uint16_t {};
enum class BotId : std::uint32_t {};
// Accounts own bots and balances; assets (BTC, USDT) are what balances are kept in. Dense
// small ids like BotId: the engine sizes its tables by them.
enum class AccountId : std::uint32_t {};
enum class AssetId : std::uint16_t {};
// A control-API user (an API token maps to one); 0 is the engine itself.
enum class UserId : std::uint32_t {};

inline constexpr InstrumentId kNoInstrument{0xFFFF'FFFFu};
inline constexpr VenueId kNoVenue{0xFFFFu};
inline constexpr BotId kNoBot{0xFFFF'FFFFu};
inline constexpr AccountId kNoAccount{0xFFFF'FFFFu};
inline constexpr AssetId kNoAsset{0xFFFFu};
inline constexpr UserId kEngineUser{0};

template <class Id>
requires std::is_enum_v<Id>
constexpr auto index_of(Id id) noexcept {
  return static_cast<std::underlying_type_t<Id>>(id);
}

enum class Side : std::uint8_t { kNone = 0, kBuy = 1, kSell = 2 };

}  // namespace be

#include "strategies/script/upvalue_writes.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace be::script {
namespace {

// Lua 5.4 (lopcodes.h): an instruction's opcode is its low 7 bits; SETUPVAL is iABC with
// UpValue[B] := R[A], B in bits 16..23. lineinfo's ABSLINEINFO marker is -0x80 (ldebug.h).
constexpr std::uint32_t kOpSetUpval = 10;
constexpr int kAbsLineInfo = -0x80;

struct Upvalue {
  bool instack;
  std::uint8_t index;
  std::string name;
};

struct Function {
  const Function* parent = nullptr;
  int line_defined = 0;
  std::vector<std::uint32_t> code;
  std::vector<Upvalue> upvalues;
  std::vector<std::unique_ptr<Function>> children;
  std::vector<std::int8_t> line_deltas;
  std::vector<std::pair<int, int>> absolute_lines;  // (pc, line)

  int line_of(std::size_t pc) const {
    int line = line_defined;
    for (std::size_t i = 0; i <= pc && i < line_deltas.size(); ++i) {
      if (line_deltas[i] != kAbsLineInfo) {
        line += line_deltas[i];
        continue;
      }
      for (const auto& [at, absolute] : absolute_lines) {
        if (at == static_cast<int>(i)) line = absolute;
      }
    }
    return line;
  }
};

// Reads what ldump.c writes; any surprise makes ok false (and the check then refuses the
// script rather than pass it unchecked).
class DumpReader {
 public:
  explicit DumpReader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }

  std::uint8_t byte() {
    if (pos_ >= bytes_.size()) return fail();
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  void skip(std::size_t n) {
    if (bytes_.size() - pos_ < n) {
      fail();
      return;
    }
    pos_ += n;
  }
  std::size_t size() {  // dumpSize: 7-bit groups, most significant first, last marked 0x80
    std::size_t x = 0;
    for (int n = 0; n < 10 && ok_; ++n) {
      const std::uint8_t b = byte();
      x = (x << 7) | (b & 0x7Fu);
      if ((b & 0x80u) != 0) return x;
    }
    return fail();
  }
  std::string string() {
    const std::size_t n = size();
    if (n == 0 || !ok_ || bytes_.size() - pos_ < n - 1) return {};
    std::string s(bytes_.substr(pos_, n - 1));
    pos_ += n - 1;
    return s;
  }
  std::uint32_t instruction() {
    if (bytes_.size() - pos_ < 4) return fail();
    std::uint32_t i;
    std::memcpy(&i, bytes_.data() + pos_, 4);
    pos_ += 4;
    return i;
  }

  void header() {
    skip(4 + 1 + 1 + 6);  // signature, version, format, LUAC_DATA
    if (byte() != 4 || byte() != 8 || byte() != 8) fail();
    skip(8 + 8);   // LUAC_INT, LUAC_NUM
    (void)byte();  // the main function's upvalue count
  }

  std::unique_ptr<Function> function(const Function* parent, int depth) {
    auto f = std::make_unique<Function>();
    f->parent = parent;
    if (depth > 250) {  // deeper than Lua's own nesting limit: not a chunk of ours
      fail();
      return f;
    }
    (void)string();  // source
    f->line_defined = static_cast<int>(size());
    (void)size();  // last line defined
    skip(3);       // params, vararg, max stack
    f->code.resize(size());
    for (std::uint32_t& i : f->code)
      i = ok_ ? instruction() : 0;
    const std::size_t constants = size();
    for (std::size_t k = 0; k < constants && ok_; ++k) {
      const std::uint8_t tag = byte();
      if (tag == 0x13 || tag == 0x03) {  // float, integer
        skip(8);
      } else if (tag == 0x04 || tag == 0x14) {  // short, long string
        (void)string();
      }  // nil, false, true: no payload
    }
    f->upvalues.resize(size());
    for (Upvalue& u : f->upvalues) {
      u.instack = byte() != 0;
      u.index = byte();
      (void)byte();  // kind
    }
    const std::size_t children = size();
    for (std::size_t k = 0; k < children && ok_; ++k)
      f->children.push_back(function(f.get(), depth + 1));
    f->line_deltas.resize(size());
    for (std::int8_t& d : f->line_deltas)
      d = static_cast<std::int8_t>(byte());
    f->absolute_lines.resize(size());
    for (auto& [pc, line] : f->absolute_lines) {
      pc = static_cast<int>(size());
      line = static_cast<int>(size());
    }
    const std::size_t locals = size();
    for (std::size_t k = 0; k < locals && ok_; ++k) {
      (void)string();
      (void)size();
      (void)size();
    }
    const std::size_t names = size();
    for (std::size_t k = 0; k < names && ok_; ++k) {
      std::string name = string();
      if (k < f->upvalues.size()) f->upvalues[k].name = std::move(name);
    }
    return f;
  }

 private:
  std::size_t fail() {
    ok_ = false;
    return 0;
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

int collect(lua_State*, const void* p, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(p), n);
  return 0;
}

// The top-level variable that upvalue `index` of `f` finally names, or nullptr when it is
// a local of some enclosing function (allowed).
const Upvalue* top_level_target(const Function& f, std::size_t index) {
  const Function* at = &f;
  while (at->parent != nullptr && index < at->upvalues.size()) {
    const Upvalue& u = at->upvalues[index];
    if (u.instack) return at->parent->parent == nullptr ? &u : nullptr;
    index = u.index;
    at = at->parent;
  }
  // Reached the main function through its upvalues: _ENV.
  return at->parent == nullptr && index < at->upvalues.size() ? &at->upvalues[index] : nullptr;
}

std::optional<std::string> check(const Function& f) {
  if (f.parent != nullptr) {
    for (std::size_t pc = 0; pc < f.code.size(); ++pc) {
      if ((f.code[pc] & 0x7Fu) != kOpSetUpval) continue;
      const std::size_t b = (f.code[pc] >> 16) & 0xFFu;
      const Upvalue* target = top_level_target(f, b);
      if (target == nullptr) continue;
      const std::string name =
          b < f.upvalues.size() && !f.upvalues[b].name.empty() ? f.upvalues[b].name : target->name;
      return "line " + std::to_string(f.line_of(pc)) + ": a function assigns '" + name +
             "', a local of the script's top level: it would keep state outside `state` (lost "
             "at a restore); top-level locals are read-only in functions, keep what changes in "
             "`state`";
    }
  }
  for (const auto& child : f.children) {
    if (auto found = check(*child)) return found;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> find_upvalue_writes(lua_State* L) {
  std::string bytes;
  if (lua_dump(L, &collect, &bytes, 0) != 0) return std::string("the chunk could not be read");
  DumpReader reader(bytes);
  reader.header();
  const auto main = reader.function(nullptr, 0);
  if (!reader.ok()) return std::string("the compiled chunk has an unexpected layout");
  return check(*main);
}

}  // namespace be::script
